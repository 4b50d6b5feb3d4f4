# tests/e2e/core.mk: owned by its module; see tests/Makefile.inc.
