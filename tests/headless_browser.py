"""A real headless Chromium, driven through the Chrome DevTools Protocol over a pipe (standard library only).

``chromium --remote-debugging-pipe`` reads protocol commands (JSON, each ended by a NUL byte) on its file
descriptor 3 and writes answers and events on 4: no driver program, no port, no websocket library, and
nothing downloaded (Chromium is Debian's, installed by ``.ci/bootstrap``). The browser never reaches the
network: every host name fails to resolve (``--host-resolver-rules``), so a page that loads a script
from the web (MathJax) fails that load at once instead of waiting for a time-out. Used as::

    with Chromium() as browser:
        browser.open(Path("site/index.html").resolve().as_uri())
        title = browser.evaluate("document.title")
"""

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

__all__ = ["CHROMIUM", "BrowserError", "Chromium"]

CHROMIUM = "/usr/bin/chromium"  # Debian's package; never a browser fetched at run time


class BrowserError(RuntimeError):
    """The browser answered a command with an error, threw in the page, or did not answer in time."""


class Chromium:
    """One headless Chromium with one page (tab), as a context manager.

    Parameters
    ----------
    executable : str, default CHROMIUM
        The browser program.
    width, height : int, default 1400, 1000
        The window's size in CSS pixels (wide enough for the desktop layout of a site's sidebar).
    timeout : float, default 60.0
        Seconds to wait for any one answer or page load.
    """

    def __init__(self, executable=CHROMIUM, width=1400, height=1000, timeout=60.0):
        self.executable, self.width, self.height, self.timeout = executable, width, height, timeout
        self._process = None
        self._next_id = 0
        self._buffer = b""
        self._loaded = False  # the page's load event came
        self.exceptions = []  # JavaScript exceptions thrown in the page since the last open()

    # -- life cycle ------------------------------------------------------------------------------
    def __enter__(self):
        if not os.access(self.executable, os.X_OK):
            raise FileNotFoundError(self.executable)
        self._profile = tempfile.mkdtemp(prefix="neuromorph-chromium-")
        # Its messages go to a file (a pipe nobody reads would fill and stall the browser), shown on failure.
        self._log = open(os.path.join(self._profile, "chromium.log"), "w+b")
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()

        def on_fds_3_and_4():  # in the child, before exec: the pipe ends become fds 3 (commands) and 4 (answers)
            ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands_read, answers_write)]
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        self._process = subprocess.Popen(
            [self.executable, "--headless=new", "--remote-debugging-pipe",
             "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
             "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--mute-audio", "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--user-data-dir={self._profile}", f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            close_fds=False, preexec_fn=on_fds_3_and_4)
        os.close(commands_read)
        os.close(answers_write)
        try:
            target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self._session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime"):
                self._send(f"{domain}.enable", session=True)
            self._send("Emulation.setDeviceMetricsOverride", {"width": self.width, "height": self.height,
                                                              "deviceScaleFactor": 1, "mobile": False}, session=True)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        if self._process is not None:
            try:
                self._send("Browser.close", timeout=5)
            except (BrowserError, OSError):
                pass
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            for fd in (self._commands, self._answers):
                os.close(fd)
            self._process = None
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- the page ----------------------------------------------------------------------------------
    def open(self, url):
        """Load `url` in the page and wait for its ``load`` event (scripts run, styles and images loaded)."""
        self.exceptions = []
        self._loaded = False
        answer = self._send("Page.navigate", {"url": url}, session=True)
        if answer.get("errorText"):
            raise BrowserError(f"cannot open {url}: {answer['errorText']}")
        while not self._loaded:
            self._keep_event(self._read())

    def evaluate(self, expression):
        """The value of a JavaScript `expression` in the page (a Promise is awaited), as JSON data."""
        answer = self._send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                 "awaitPromise": True}, session=True)
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            raise BrowserError(f"{expression!r} threw: {details.get('exception', {}).get('description', details)}")
        return answer["result"].get("value")

    # -- the protocol ------------------------------------------------------------------------------
    def _send(self, method, params=None, session=False, timeout=None):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            self._keep_event(reply)

    def _keep_event(self, message):
        if message.get("method") == "Runtime.exceptionThrown":
            details = message["params"]["exceptionDetails"]
            self.exceptions.append(details.get("exception", {}).get("description", details.get("text")))
        elif message.get("method") == "Page.loadEventFired":
            self._loaded = True  # (the other events are not needed)

    def _read(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise BrowserError(f"Chromium did not answer within {self.timeout if timeout is None else timeout} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                self._log.seek(0)
                log = self._log.read().decode(errors="replace")[-2000:]
                raise BrowserError(f"Chromium closed its protocol pipe (exit status {self._process.poll()}):\n{log}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)
