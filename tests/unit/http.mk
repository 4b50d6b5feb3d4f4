# tests/unit/http.mk: owned by its module; see tests/Makefile.inc.
