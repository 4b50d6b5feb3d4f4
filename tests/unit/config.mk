# tests/unit/config.mk: owned by its module; see tests/Makefile.inc.
