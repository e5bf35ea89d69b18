# hostile_fs.py — a hostile Python worker of 07-runner's end-to-end suite:
# each command tries to get around an FS or Run rule and prints one line,
# "ok ..." when the attempt worked, "errno N" (the first refusal) when not.
#   rename-ancestor P   mv P/.git P/.git-moved; mkdir -p P/.git/hooks; write a hook
#   rmdir-ancestor P    rename P/.git/hooks away, then rmdir P/.git
#   link SRC DST        hard link (a new name for a denied file)
#   symlink P           P/lnk -> .git/hooks, then write P/lnk/pre-commit
#   chmod PATH MODE     create PATH, chmod it to octal MODE
#   memfd PROG          copy PROG into a memfd and exec /proc/self/fd/N
#   read PATH | exec PATH [ARGS]
#   spawn PROG...       fork and exec each PROG, one "PROG errno N" (or "PROG ran") line each
import os
import sys


def attempt(fn):
    try:
        r = fn()
        print("ok %s" % (r if r is not None else ""))
        return 0
    except OSError as e:
        print("errno %d" % e.errno)
        return 1


def rename_ancestor(p):
    os.rename(p + "/.git", p + "/.git-moved")
    os.makedirs(p + "/.git/hooks", exist_ok=True)
    with open(p + "/.git/hooks/pre-commit", "w") as f:
        f.write("pod content\n")


def rmdir_ancestor(p):
    os.rename(p + "/.git/hooks", p + "/hooks-moved")


def symlink(p):
    os.symlink(".git/hooks", p + "/lnk")
    with open(p + "/lnk/pre-commit", "w") as f:
        f.write("pod content\n")


def chmod(path, mode):
    with open(path, "w") as f:
        f.write("x\n")
    os.chmod(path, int(mode, 8))


def memfd(prog):
    fd = os.memfd_create("x", 0)
    with open(prog, "rb") as f:
        os.write(fd, f.read())
    sys.stdout.flush()
    os.execv("/proc/self/fd/%d" % fd, [prog])


def read(path):
    with open(path, "rb") as f:
        return "read %d bytes" % len(f.read())


def spawn(progs):
    for prog in progs:
        pid = os.fork()
        if pid == 0:
            try:
                os.execv(prog, [prog, "--version"])
            except OSError as e:
                os._exit(100 + e.errno)
        _, st = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(st)
        print("%s errno %d" % (prog, code - 100) if code >= 100 else "%s ran" % prog)
        sys.stdout.flush()


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--pod-")]
    cmd, rest = args[0], args[1:]
    table = {
        "rename-ancestor": lambda: rename_ancestor(rest[0]),
        "rmdir-ancestor": lambda: rmdir_ancestor(rest[0]),
        "link": lambda: os.link(rest[0], rest[1]),
        "symlink": lambda: symlink(rest[0]),
        "chmod": lambda: chmod(rest[0], rest[1]),
        "memfd": lambda: memfd(rest[0]),
        "read": lambda: read(rest[0]),
        "exec": lambda: os.execv(rest[0], rest),
        "spawn": lambda: spawn(rest),
    }
    return attempt(table[cmd])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
