"""Puts the dashboard on a board over its USB serial port, with mpremote.

    python tools/deploy.py [--app FOLDER] [--config FILE] [--no-reset] [--no-romfs] PORT
        Builds build/board for the app folder (tools/build.py --app), copies to the board what differs from it (main.py,
        lib/*.mpy, www/ and config.json from FILE), removes what the build no
        longer has from the board's lib/ and www/, then resets the board so
        main.py starts the dashboard. On a board with a ROMFS partition, lib/
        goes there instead, as one image (mpremote romfs deploy), written only
        when it differs from the partition's, and the board's lib/ is emptied:
        a module there would shadow its copy in /rom/lib. --no-romfs keeps the
        code in lib/ and leaves the partition alone.
    python tools/deploy.py --dev [--app FOLDER] [--config FILE] [--resume] PORT
        Builds and runs the app on the board from the laptop's disk
        (mpremote mount): nothing is written to the board's flash.

FOLDER defaults to examples/greenhouse. FILE defaults to the app folder's
config.local.json, else its config.json, else device/config.local.json (see
device/config.example.json); with none of them the board keeps its own.
The board itself hashes the files it holds, so what gets copied is what
differs from the board as it is, however it got that way. --resume keeps the
board's interpreter as it is (no soft reset), for boards that cannot
soft-reset, like the unix port.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARD = os.path.join(ROOT, "build", "board")
DEV = os.path.join(ROOT, "build", "dev")
#: The ROMFS image's source folder (mounted at /rom on the board) and the image.
ROM = os.path.join(ROOT, "build", "rom")
IMAGE = os.path.join(ROOT, "build", "rom.romfs")
#: What goes into the image where the board has a ROMFS partition: the code,
#: which runs from there in place. www/ stays on the filesystem: served a
#: buffer at a time, it holds no heap there, it measured no better in the
#: image (README, "Code in ROMFS"), and it would not fit a 128 KB partition.
ROM_FOLDERS = ("lib",)
MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")
DEFAULT_CONFIG = os.path.join(ROOT, "device", "config.local.json")
DEFAULT_APP = os.path.join(ROOT, "examples", "greenhouse")
CONFIG_NAME = "config.json"
#: Folders on the board that deploy owns: files the build lacks are removed.
MANAGED = ("lib", "www")

sys.path.insert(0, os.path.join(ROOT, "device"))
import board_config  # noqa: E402  (validates the config before it is copied)

# Run on the board: one line per entry below the given paths, "d <path>" for
# a folder and "f <sha256> <path>" for a file, hashed in small reads so a
# large file needs no large buffer.
HASH_SCRIPT = """
import os, hashlib, binascii
def _sum(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(memoryview(b)[:n])
    print('f', binascii.hexlify(h.digest()).decode(), p)
def _walk(p):
    try:
        mode = os.stat(p)[0]
    except OSError:
        return
    if mode & 0x4000:
        print('d', p)
        for e in os.ilistdir(p):
            _walk(p + '/' + e[0])
    else:
        _sum(p)
for p in %r:
    _walk(p)
"""

# Run on the board after HASH_SCRIPT: "r <size> <sha256>" of its ROMFS
# partition (the first given number of bytes hashed, in place), nothing when
# it has none. mpremote romfs query asks the same way.
ROMFS_SCRIPT = """
try:
    import vfs
    d = vfs.rom_ioctl(2, 0) if vfs.rom_ioctl(1) > 0 else -1
except (ImportError, AttributeError):
    d = -1
if not isinstance(d, int):
    n = d.ioctl(4, 0) * d.ioctl(5, 0) if hasattr(d, 'ioctl') else len(d)
    h = hashlib.sha256(memoryview(d)[:min(n, %d)])
    print('r', n, binascii.hexlify(h.digest()).decode())
"""


class DeployError(Exception):
    pass


def mpremote(port, args, resume=True, capture=False):
    """Run mpremote on the board; returns its output when captured."""
    command = [MPREMOTE, "connect", port] + (["resume"] if resume else []) + args
    proc = subprocess.Popen(command, cwd=BOARD, text=True, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE if capture else None)
    try:
        out, err = proc.communicate()
    except KeyboardInterrupt:
        # mpremote has the Ctrl-C too: let it stop the board's program and
        # unmount before we go.
        proc.communicate()
        raise
    if proc.returncode:
        raise DeployError(explain(port, err + (out or "")))
    return out


def explain(port, output):
    if "failed to access" in output:
        if not os.path.exists(port):
            return "no serial port %s: is the board plugged in? (`mpremote devs` lists ports)" % port
        return ("serial port %s is busy: another program holds it (a serial monitor, "
                "Thonny, another mpremote); close it and try again" % port)
    if "could not enter raw repl" in output:
        return ("no MicroPython REPL answered on %s: is it a MicroPython board, and does "
                "its program let Ctrl-C through?" % port)
    return "mpremote failed on %s:\n%s" % (port, output.strip())


def check_port(port):
    # Paths only: names like COM3 are not files.
    if os.sep in port and not os.path.exists(port):
        raise DeployError(explain(port, "failed to access"))


def build(app):
    if subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build.py"), "--quiet",
                       "--app", app]).returncode:
        raise DeployError("the build failed (above); nothing was copied")


def read_config(path, app):
    """The local config file's path, checked; None when there is none."""
    if path is None:
        found = [p for p in (os.path.join(app, "config.local.json"),
                             os.path.join(app, CONFIG_NAME), DEFAULT_CONFIG)
                 if os.path.exists(p)]
        if not found:
            print("deploy: no config file in %s; the board keeps its %s (or the defaults)"
                  % (os.path.relpath(app), CONFIG_NAME))
            return None
        path = found[0]
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise DeployError("no config file %s" % path)
    with open(path) as f:
        try:
            board_config.parse(f.read(), path)
        except board_config.ConfigError as exc:
            raise DeployError(str(exc))
    return path


def local_files(config):
    """{path on the board: path here} of everything the board should hold."""
    files = {}
    for folder, dirs, names in os.walk(BOARD):
        for name in names:
            path = os.path.join(folder, name)
            files[os.path.relpath(path, BOARD).replace(os.sep, "/")] = path
    if config:
        files[CONFIG_NAME] = config
    return files


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_image():
    """The ROMFS image of build/board's ROM_FOLDERS, built by mpremote."""
    shutil.rmtree(ROM, ignore_errors=True)
    for folder in ROM_FOLDERS:
        shutil.copytree(os.path.join(BOARD, folder), os.path.join(ROM, folder))
    # Already .mpy, compiled -O3 by the build.
    subprocess.run([MPREMOTE, "romfs", "--no-mpy", "-o", IMAGE, "build", ROM], check=True,
                   stdout=subprocess.DEVNULL)
    with open(IMAGE, "rb") as f:
        return f.read()


def board_state(port, files, image_size):
    """({path: sha256}, {folder}, rom) of what the board holds of ours; rom
    is (partition size, sha256 of its first ``image_size`` bytes), or None
    when the board has no ROMFS partition."""
    tops = sorted(set(p.split("/")[0] for p in files) | set(MANAGED))
    output = mpremote(port, ["exec", HASH_SCRIPT % tops + ROMFS_SCRIPT % image_size],
                      capture=True)
    hashes, folders, rom = {}, set(), None
    for line in output.splitlines():
        if line.startswith("f "):
            _, digest, path = line.split(" ", 2)
            hashes[path] = digest
        elif line.startswith("d "):
            folders.add(line[2:])
        elif line.startswith("r "):
            _, size, digest = line.split()
            rom = int(size), digest
    return hashes, folders, rom


def romfs_plan(rom, image):
    """(mpremote commands, what they do) that put ``image`` in the board's
    ROMFS partition; None when the code must go to lib/ instead."""
    kb = len(image) / 1024
    if rom is None:
        print("deploy: no ROMFS partition on this board: the code goes to lib/ as .mpy "
              "(README: \"Code in ROMFS\")")
        return None
    size, digest = rom
    if len(image) > size:
        print("deploy: the code's ROMFS image (%.1f KB) is larger than the board's partition "
              "(%.1f KB): it goes to lib/ as .mpy" % (kb, size / 1024))
        return None
    if digest == hashlib.sha256(image).hexdigest():
        return [], "ROMFS image (%.1f KB) up to date" % kb
    return [["romfs", "deploy", IMAGE]], "writing the ROMFS image (%.1f KB of %.1f KB)" % (
        kb, size / 1024)


def parents(path):
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def plan(files, hashes, folders):
    """mpremote commands that make the board hold ``files``, and what they copy."""
    copy = [p for p in sorted(files) if hashes.get(p) != sha256(files[p])]
    wanted = set(q for p in files for q in parents(p))
    stale_dirs = sorted(d for d in folders if d.split("/")[0] in MANAGED and d not in wanted
                        and not any(q in folders and q not in wanted for q in parents(d)))
    stale = sorted(p for p in hashes if p not in files and p.split("/")[0] in MANAGED
                   and not any(q in stale_dirs for q in parents(p)))
    new_dirs = sorted(set(q for p in copy for q in parents(p)) - folders)
    # Removals go first: the flash may have no room for a new runtime folder
    # next to the old one.
    commands = [["fs", "rm", "-r", ":" + d] for d in stale_dirs]
    commands += [["fs", "rm", ":" + p] for p in stale]
    commands += [["fs", "mkdir", ":" + d] for d in new_dirs]
    commands += [["fs", "cp", "-f", _shown(files[p]), ":" + p] for p in copy]
    return commands, copy, stale_dirs + stale


def _shown(path):
    # mpremote runs in build/board and prints each copy's source: keep it short.
    inside = os.path.relpath(path, BOARD)
    return path if inside.startswith("..") else inside


def deploy(port, config, reset, romfs=True, app=DEFAULT_APP):
    check_port(port)
    config = read_config(config, app)
    build(app)
    image = build_image() if romfs else b""
    files = local_files(config)
    hashes, folders, rom = board_state(port, files, len(image))
    rom_plan = romfs_plan(rom, image) if romfs else None
    if rom_plan:
        files = dict((p, f) for p, f in files.items() if p.split("/")[0] not in ROM_FOLDERS)
    commands, copy, removed = plan(files, hashes, folders)
    size = sum(os.path.getsize(files[p]) for p in copy)
    print("deploy: %d of %d files up to date on %s; copying %d (%.1f KB), removing %d%s"
          % (len(files) - len(copy), len(files), port, len(copy), size / 1024, len(removed),
             "; " + rom_plan[1] if rom_plan else ""))
    if rom_plan:
        # First: the code is in the image before its copies leave lib/.
        commands = rom_plan[0] + commands
    if reset:
        commands.append(["reset"])
    if commands:
        mpremote(port, [arg for command in commands for arg in command + ["+"]][:-1])
    if reset:
        print("deploy: done; the board restarts into the dashboard "
              "(`mpremote connect %s repl` shows its address)" % port)
    elif rom_plan and rom_plan[0]:
        print("deploy: done; the board mounts the new ROMFS image when it restarts "
              "(a soft reset is enough)")
    else:
        print("deploy: done")


def dev(port, config, resume, app=DEFAULT_APP):
    check_port(port)
    config = read_config(config, app)
    build(app)
    shutil.rmtree(DEV, ignore_errors=True)
    shutil.copytree(BOARD, DEV)
    if config:
        shutil.copy(config, os.path.join(DEV, CONFIG_NAME))
    print("dev: running %s on %s from the laptop's disk (Ctrl-C stops it)"
          % (os.path.relpath(DEV, ROOT), port))
    # The mount makes /remote the working directory; its lib/ goes first.
    mpremote(port, ["mount", DEV, "exec", "import sys; sys.path.insert(0, '/remote/lib')",
                    "run", os.path.join(DEV, "main.py")], resume=resume)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", metavar="PORT", help="the board's serial port, e.g. /dev/ttyACM0")
    parser.add_argument("--app", default=DEFAULT_APP,
                        help="the app folder (default: examples/greenhouse)")
    parser.add_argument("--config",
                        help="settings file written to the board as config.json")
    parser.add_argument("--no-reset", action="store_true",
                        help="leave the board at its REPL after copying")
    parser.add_argument("--no-romfs", action="store_true",
                        help="the code in lib/ even where the board has a ROMFS partition")
    parser.add_argument("--dev", action="store_true",
                        help="run from the laptop's disk with mpremote mount")
    parser.add_argument("--resume", action="store_true",
                        help="with --dev: no soft reset before running")
    args = parser.parse_args()
    try:
        if args.dev:
            dev(args.port, args.config, args.resume, os.path.abspath(args.app))
        else:
            deploy(args.port, args.config, not args.no_reset, not args.no_romfs,
                   os.path.abspath(args.app))
    except DeployError as exc:
        sys.exit("deploy: " + str(exc))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
