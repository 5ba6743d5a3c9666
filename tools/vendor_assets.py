"""Refresh or check Studio's vendored front-end files (htmx, uPlot) against the npm registry.

    python tools/vendor_assets.py            # check: every file's sha256 matches VENDOR.json
    python tools/vendor_assets.py --refresh  # download the pinned versions from registry.npmjs.org again
    python tools/vendor_assets.py --refresh --set htmx.org=2.0.11   # move a package to another version

The tarball's sha512 is checked against the registry's ``dist.integrity`` before any file is taken from it.
No Node is needed; the registry is read over HTTPS with httpx.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src" / "genloop" / "studio" / "static" / "vendor"
MANIFEST = VENDOR / "VENDOR.json"
REGISTRY = "https://registry.npmjs.org"

# package -> (version, licence, {file in the tarball: file name in vendor/})
PACKAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "htmx.org": ("2.0.8", "0BSD", {"package/dist/htmx.min.js": "htmx.min.js",
                                   "package/LICENSE": "htmx.LICENSE"}),
    "uplot": ("1.6.32", "MIT", {"package/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
                                "package/dist/uPlot.min.css": "uPlot.min.css",
                                "package/LICENSE": "uPlot.LICENSE"}),
}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check() -> list[str]:
    """Problems with the vendored files (empty when every recorded hash matches its file)."""
    manifest = json.loads(MANIFEST.read_text())
    problems = []
    for package in manifest["packages"]:
        for name, digest in package["files"].items():
            path = VENDOR / name
            if not path.is_file():
                problems.append(f"{name}: missing (run tools/vendor_assets.py --refresh)")
            elif sha256(path.read_bytes()) != digest:
                problems.append(f"{name}: sha256 differs from VENDOR.json ({package['name']}@{package['version']})")
    return problems


def refresh(versions: dict[str, str]) -> None:
    """Download each package's tarball, verify its integrity, write the files and VENDOR.json."""
    import httpx

    entries = []
    for name, (version, licence, files) in PACKAGES.items():
        version = versions.get(name, version)
        meta = httpx.get(f"{REGISTRY}/{name}/{version}", timeout=60, follow_redirects=True).raise_for_status().json()
        tarball = httpx.get(meta["dist"]["tarball"], timeout=120, follow_redirects=True).raise_for_status().content
        algo, _, expected = meta["dist"]["integrity"].partition("-")
        if algo != "sha512" or base64.b64encode(hashlib.sha512(tarball).digest()).decode() != expected:
            raise SystemExit(f"{name}@{version}: the tarball does not match the registry's integrity {algo}")
        recorded = {}
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
            for member, target in files.items():
                extracted = tar.extractfile(member)
                if extracted is None:
                    raise SystemExit(f"{name}@{version}: {member} is not in the package")
                data = extracted.read()
                (VENDOR / target).write_bytes(data)
                recorded[target] = sha256(data)
        entries.append({"name": name, "version": version, "license": meta.get("license", licence),
                        "source": meta["dist"]["tarball"], "integrity": meta["dist"]["integrity"],
                        "files": recorded})
    MANIFEST.write_text(json.dumps({"packages": entries}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="download the files from the npm registry")
    parser.add_argument("--set", action="append", default=[], metavar="PKG=VERSION", help="another version")
    args = parser.parse_args(argv)
    if args.refresh:
        VENDOR.mkdir(parents=True, exist_ok=True)
        refresh(dict(item.split("=", 1) for item in args.set))
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"ok: {MANIFEST.relative_to(VENDOR.parents[4])} matches every vendored file")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
