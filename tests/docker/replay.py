"""Replays the Dockerfile's build stage without a Docker daemon (the build
machines have none): the same files copied from the build context into an
empty directory standing in for the stage's WORKDIR, the same RUN commands
in order, then checks that what the runtime stage copies out exists and
that the binary answers its own HEALTHCHECK. So the image recipe cannot
break unnoticed (it did once: a manifest target missing from the context).

Usage: python3 tests/docker/replay.py [KEEP]   (from anywhere; uses the host's cargo)
KEEP: where to copy the release binary the build stage made (CI runs the
documentation's examples against it).
"""
import os
import pathlib
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

root = pathlib.Path(__file__).resolve().parents[2]
lines = (root / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
instructions = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
ignored = [p.strip() for p in (root / ".dockerignore").read_text().splitlines() if p.strip()]

stages = []
for line in instructions:
    keyword, _, rest = line.partition(" ")
    if keyword.upper() == "FROM":
        stages.append([])
    stages[-1].append((keyword.upper(), rest.strip()))

build, runtime = stages[0], stages[-1]
with tempfile.TemporaryDirectory() as tmp:
    image = pathlib.Path(tmp)
    workdir = None
    for keyword, rest in build:
        if keyword == "WORKDIR":
            workdir = image / rest.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            *sources, dest = shlex.split(rest)
            target = workdir / dest
            for source in sources:
                if any(source == p or source.startswith(p + "/") for p in ignored):
                    sys.exit(f"COPY {source}: excluded by .dockerignore")
                path = root / source
                if not path.exists():
                    sys.exit(f"COPY {source}: not in the build context")
                # Docker's rules as the Dockerfile uses them: a directory's
                # contents go to the destination; files go into a
                # destination ending in "/", or become it.
                if path.is_dir():
                    shutil.copytree(path, target, dirs_exist_ok=True)
                elif dest.endswith("/"):
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / path.name)
                else:
                    shutil.copy2(path, target)
        elif keyword == "RUN":
            print(f"== RUN {rest}", flush=True)
            # The image links with thin LTO; the replay checks the recipe
            # (files, targets, commands), not the optimiser, so it links
            # without LTO and in more units: a few minutes less of CI.
            build_env = dict(os.environ, CARGO_PROFILE_RELEASE_LTO="off", CARGO_PROFILE_RELEASE_CODEGEN_UNITS="16")
            subprocess.run(["bash", "-ec", rest], cwd=workdir, check=True, env=build_env)
    binary = None
    for keyword, rest in runtime:
        if keyword == "COPY" and rest.startswith("--from="):
            source = shlex.split(rest)[1]
            built = image / source.lstrip("/")
            if not built.is_file():
                sys.exit(f"the runtime stage copies {source}, which the build stage did not make")
            binary = built
    if binary is None:
        sys.exit("the runtime stage copies nothing from the build stage")
    if len(sys.argv) > 1:
        keep = pathlib.Path(sys.argv[1]).resolve()
        keep.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(binary, keep)
    healthcheck = next(rest for keyword, rest in runtime if keyword == "HEALTHCHECK")
    probe = shlex.split(healthcheck.split("CMD", 1)[1].strip().strip("[]").replace(",", " "))
    env = dict(os.environ)
    env.update(dict(rest.split("=", 1) for keyword, rest in runtime if keyword == "ENV"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env["LEADSIM_LISTEN"] = f"127.0.0.1:{port}"
    server = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        command = [str(binary)] + probe[1:]
        for _ in range(100):
            if subprocess.run(command, env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            sys.exit(f"the HEALTHCHECK ({' '.join(probe)}) never passed")
    finally:
        server.terminate()
        server.wait()
    unhealthy = subprocess.run(command, env=env, capture_output=True)
    if unhealthy.returncode != 1:
        sys.exit(f"the HEALTHCHECK passed with no server: {unhealthy}")
print("Dockerfile build stage replayed: the image's binary builds, and its HEALTHCHECK passes and fails as it should")
