#!/usr/bin/env python
"""Take the README's screenshots of the demo data in headless Chromium, so they stay current.

Starts its own development server on a free port with a throwaway SQLite database (migrate +
seed_demo), logs in as demo/demo and saves login.png, projects.png, board.png and reports.png
(1440x900), and board-phone.png (390x844) (each *-dark.png with --color-scheme dark) in
docs/screenshots/. Usage: `make screenshot` or `python scripts/screenshot.py [--out DIR]
[--color-scheme dark]`.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
VIEWPORT = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The development server exited with code {server.returncode}.")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The development server did not answer {url} within {timeout:.0f} s.")


def take_screenshots(base_url: str, out: Path, color_scheme: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not chromium:
        raise SystemExit("Chromium not found: apt-get install chromium (or set CHROMIUM=/path).")
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            base_url=base_url, viewport=VIEWPORT, color_scheme=color_scheme, locale="en-US"
        )
        page = context.new_page()

        def shoot(name: str) -> None:
            page.wait_for_load_state("networkidle")
            page.evaluate("document.fonts.ready")
            suffix = "" if color_scheme == "light" else f"-{color_scheme}"
            path = out / f"{name}{suffix}.png"
            page.screenshot(path=path)
            saved.append(path)

        page.goto("/accounts/login/")
        shoot("login")
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        page.goto("/")
        shoot("projects")
        context_state = context.storage_state()
        response = page.goto("/projects/WEB/board/")
        if response is None or response.status != 200:
            raise SystemExit("The WEB board did not load: does seed_demo create project WEB?")
        page.mouse.move(0, 0)  # no hover effects in the picture
        shoot("board")
        response = page.goto("/projects/WEB/reports/")
        if response is None or response.status != 200:
            raise SystemExit("The WEB reports page did not load.")
        shoot("reports")
        context.close()
        # The same board on a phone (390 x 844), logged in through the same cookies.
        phone = browser.new_context(
            base_url=base_url,
            viewport=PHONE,
            color_scheme=color_scheme,
            locale="en-US",
            storage_state=context_state,
            has_touch=True,
            is_mobile=True,
        )
        page = phone.new_page()
        page.goto("/projects/WEB/board/")
        shoot("board-phone")
        phone.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--color-scheme", choices=["light", "dark"], default="light")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tracker-screenshot-"))
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'screenshot.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SECRET_KEY", None)
    server = None
    try:
        print("Preparing a throwaway database with the demo data…", flush=True)
        manage("migrate", "--no-input", "-v", "0", env=env)
        manage("seed_demo", env=env)
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url + "/healthz", server)
        for path in take_screenshots(base_url, options.out, options.color_scheme):
            print(f"Saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    except subprocess.CalledProcessError as error:
        raise SystemExit(
            f"{' '.join(error.cmd[1:])} failed with exit code {error.returncode}."
        ) from None
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
