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
#   try OP=ARG[,ARG]... each attempt in turn, one "OP=ARGS errno N" (or "OP=ARGS ok") line
#                       each; OP: read write create rename link symlinkw chmod creatmode
#                       unlink mkdir rmdir truncate utime mknod opath openat exec ldso
#                       fexec (execveat of an O_PATH descriptor) exchange (renameat2
#                       RENAME_EXCHANGE) bind (mount MS_BIND) openat2
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


def in_child(fn):
    """Run fn in a child (an exec replaces it): its errno, or 0."""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            os._exit(0)
        except OSError as e:
            os._exit(100 + e.errno)
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    if code >= 100:
        raise OSError(code - 100, os.strerror(code - 100))


def open_close(path, flags, mode=0o644):
    os.close(os.open(path, flags, mode))


def symlink_write(lnk, target, name):
    os.symlink(target, lnk)
    with open(lnk + "/" + name, "w") as f:
        f.write("pod content\n")


def opath(path):
    fd = os.open(path, os.O_PATH)
    open_close("/proc/self/fd/%d" % fd, os.O_WRONLY)


def openat(d, rel):
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    os.close(os.open(rel, os.O_WRONLY, dir_fd=fd))


def libc_call(nr, *args):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    conv = [ctypes.c_char_p(a.encode()) if isinstance(a, str) else ctypes.c_long(a) for a in args]
    if libc.syscall(ctypes.c_long(nr), *conv) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


OPS = {
    "read": lambda a: read(a[0]),
    "write": lambda a: open_close(a[0], os.O_WRONLY | os.O_TRUNC),
    "create": lambda a: open_close(a[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL),
    "rename": lambda a: os.rename(a[0], a[1]),
    "link": lambda a: os.link(a[0], a[1]),
    "symlinkw": lambda a: symlink_write(a[0], a[1], a[2]),
    "chmod": lambda a: os.chmod(a[0], int(a[1], 8)),
    "creatmode": lambda a: open_close(a[0], os.O_WRONLY | os.O_CREAT, int(a[1], 8)),
    "unlink": lambda a: os.unlink(a[0]),
    "mkdir": lambda a: os.mkdir(a[0]),
    "rmdir": lambda a: os.rmdir(a[0]),
    "truncate": lambda a: os.truncate(a[0], 0),
    "utime": lambda a: os.utime(a[0], (0, 0)),
    "mknod": lambda a: os.mkfifo(a[0]),
    "opath": lambda a: opath(a[0]),
    "openat": lambda a: openat(a[0], a[1]),
    "exec": lambda a: in_child(lambda: os.execv(a[0], a)),
    "ldso": lambda a: in_child(lambda: os.execv(a[0], a)),
    "fexec": lambda a: in_child(lambda: os.execve(os.open(a[0], os.O_PATH), a, {})),
    # renameat2(AT_FDCWD, A, AT_FDCWD, B, RENAME_EXCHANGE)
    "exchange": lambda a: libc_call(316, -100, a[0], -100, a[1], 2),
    # mount(SRC, DST, NULL, MS_BIND)
    "bind": lambda a: libc_call(165, a[0], a[1], 0, 4096, 0),
    # openat2(AT_FDCWD, PATH, {O_WRONLY, 0, RESOLVE_NO_SYMLINKS}, 24)
    "openat2": lambda a: openat2(a[0]),
}


def openat2(path):
    import ctypes
    how = (ctypes.c_uint64 * 3)(os.O_WRONLY, 0, 0x04)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(ctypes.c_long(437), ctypes.c_long(-100), ctypes.c_char_p(path.encode()),
                    ctypes.byref(how), ctypes.c_long(24)) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def attempts(tokens):
    for t in tokens:
        op, _, rest = t.partition("=")
        try:
            OPS[op](rest.split(",") if rest else [])
            print("%s ok" % t)
        except OSError as e:
            print("%s errno %d" % (t, e.errno))
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
        "try": lambda: attempts(rest),
    }
    return attempt(table[cmd])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
