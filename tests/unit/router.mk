# tests/unit/router.mk: owned by its module; see tests/Makefile.inc.
