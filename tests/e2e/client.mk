# tests/e2e/client.mk: owned by its module; see tests/Makefile.inc.
