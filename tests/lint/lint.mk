# tests/lint/lint.mk: owned by its module; see tests/Makefile.inc.
