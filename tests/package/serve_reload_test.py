#!/usr/bin/env python3
"""`adcheck serve` and SIGHUP (systemctl reload, issue 16): the server survives it, re-reads its
configuration file, reports an invalid one naming the key and keeps running on the previous one,
keeps its sessions, and still stops cleanly on SIGTERM (exit 0).

    serve_reload_test.py /path/to/adcheck
"""
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request


def fail(msg, proc=None, err_path=None):
    if proc and proc.poll() is None:
        proc.kill()
    if err_path:
        sys.stderr.write(open(err_path).read())
    sys.exit("serve_reload_test: FAILED: " + msg)


def wait_for(pred, what, proc, err_path, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        value = pred()
        if value:
            return value
        if proc.poll() is not None:
            fail("adcheck serve exited with %s while waiting for %s" % (proc.returncode, what), None, err_path)
        time.sleep(0.2)
    fail("timed out waiting for " + what, proc, err_path)


def main():
    adcheck = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="adcheck-reload-") as tmp:
        hashed = subprocess.run([adcheck, "hash-password"], input="secret-for-reload\n", text=True,
                                capture_output=True, check=True).stdout.strip()
        ini = os.path.join(tmp, "adcheck.ini")
        template = ("[store]\npath = %s/store.sqlite\n[web]\nlisten = 127.0.0.1:8443\nadmin_user = admin\n"
                    "admin_password_hash = %s\naudit_log =\n[schedule]\ninterval = %%s\n") % (tmp, hashed)
        with open(ini, "w") as f:
            f.write(template % "0")
        out_path, err_path = os.path.join(tmp, "out.log"), os.path.join(tmp, "err.log")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen([adcheck, "serve", "--config", ini, "--listen", "127.0.0.1:0"],
                                    stdout=out, stderr=err)
        try:
            url = wait_for(lambda: re.search(r"dashboard at (http://\S+)/", open(out_path).read()),
                           "the dashboard URL", proc, err_path).group(1)
            jar = http.cookiejar.CookieJar()
            op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            op.open(urllib.request.Request(url + "/api/v1/login", method="POST",
                    data=json.dumps({"username": "admin", "password": "secret-for-reload"}).encode(),
                    headers={"Content-Type": "application/json"}), timeout=10).read()

            # An invalid file: reported with its key, the server runs on.
            with open(ini, "w") as f:
                f.write(template % "banana")
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "reload:" in open(err_path).read(), "the reload message", proc, err_path)
            err = open(err_path).read()
            if "[schedule] interval" not in err or "still running on the previous configuration" not in err:
                fail("the invalid reload does not name [schedule] interval and keep the old one", proc, err_path)
            if proc.poll() is not None:
                fail("adcheck serve died on SIGHUP", None, err_path)

            # A valid file again: accepted; the session made before both reloads still works.
            with open(ini, "w") as f:
                f.write(template % "0")
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "is valid" in open(err_path).read(), "the valid reload message", proc, err_path)
            scans = json.load(op.open(url + "/api/v1/scans", timeout=10))
            if "items" not in scans:
                fail("the session did not survive the reloads: %r" % scans, proc, err_path)

            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=60)
            if rc != 0:
                fail("SIGTERM after the reloads: exit %d, expected 0" % rc, None, err_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print("serve_reload_test: passed")


if __name__ == "__main__":
    main()
