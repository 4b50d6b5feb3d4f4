# tests/unit/protocol.mk: owned by its module; see tests/Makefile.inc.
