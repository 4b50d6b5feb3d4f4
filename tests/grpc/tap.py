"""TAP lines for the Python test clients: ok() prints one "ok - NAME" or
"not ok - NAME" (with the detail as "#" lines) and counts the failures in
FAILED, which the client's exit status reports."""

FAILED = 0


def ok(name, cond, detail=""):
    global FAILED
    if cond:
        print("ok - " + name)
        return
    FAILED += 1
    print("not ok - " + name)
    if detail:
        print("#   " + str(detail)[:2000].replace("\n", "\n#   "))
