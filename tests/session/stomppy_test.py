#!/usr/bin/python3
"""Interop: an independent STOMP client (stomp.py, Debian's python3-stomp)
talks to our server over mutual TLS 1.3.

    stomppy_test.py SERVER_EXE GEN_NODEDATA_EXE

Makes a trio with swpt-gen-nodedata, starts swpt-test-stomp-server for the
AA and connects as the CA: the client certificate file holds the CA's server
certificate followed by the sub-CA certificate the AA issued to the CA, the
only trust anchor is the AA's root. Every wait is bounded; exits 77 (skip)
when stomp.py is not installed, 1 when a case fails.
"""

import datetime
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import traceback

try:
    import stomp
    import stomp.exception
    import stomp.transport
except ImportError:
    print("SKIP: stomp.py (python3-stomp) is not installed")
    sys.exit(77)

# With pyOpenSSL importable, stomp.py first opens a TLS connection without a
# client certificate to look at the server's expiry date; our server would
# only log a failed handshake, but the test must make exactly its own connections.
stomp.transport.OpenSSL = None

WAIT = 20.0  # seconds: the bound of every wait
MESSAGES = 300
AA_ID = "1234abcd"
EXPECTED_DESTINATION = "/exchange/accounts_in"
# The CA's creditors as the AA numbers them: the masq subnet 000001.
CREDITOR_BASE = 0x0000010000000000
DEBTOR_ID = 0x1234ABCD00000001


def prepare_transfer(n, **changes):
    """A valid PrepareTransfer from the CA to the AA, as a dict."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    creditor = CREDITOR_BASE + n
    message = {
        "type": "PrepareTransfer",
        "debtor_id": DEBTOR_ID,
        "creditor_id": creditor,
        "coordinator_type": "direct",
        "coordinator_id": creditor,
        "coordinator_request_id": n,
        "min_locked_amount": 1000,
        "max_locked_amount": 2000,
        "recipient": "RECIPIENT",
        "final_interest_rate_ts": "9999-12-31T23:59:59+00:00",
        "max_commit_delay": 100000,
        "ts": now.isoformat(),
    }
    message.update(changes)
    return message


def first_pem_block(text):
    end_marker = "-----END CERTIFICATE-----"
    start = text.index("-----BEGIN CERTIFICATE-----")
    return text[start:text.index(end_marker, start) + len(end_marker)] + "\n"


class Recorder(stomp.ConnectionListener):
    """What stomp.py tells us, with events to wait on."""

    def __init__(self, last_receipt=None):
        self.last_receipt = last_receipt
        self.receipts = []
        self.errors = []  # header dicts of ERROR frames
        self.connected = threading.Event()
        self.all_receipted = threading.Event()
        self.error = threading.Event()
        self.disconnected = threading.Event()

    def on_connected(self, frame):
        self.connected.set()

    def on_receipt(self, frame):
        receipt = frame.headers.get("receipt-id")
        self.receipts.append(receipt)
        if receipt == self.last_receipt:
            self.all_receipted.set()

    def on_error(self, frame):
        self.errors.append(dict(frame.headers))
        self.error.set()

    def on_disconnected(self):
        self.disconnected.set()


class Server:
    """swpt-test-stomp-server in a child process; stdin EOF ends it."""

    def __init__(self, exe, trio, log_path):
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [exe, os.path.join(trio, "aa"), os.path.join(trio, "aa-secrets", "server.crt"),
             os.path.join(trio, "aa-secrets", "server.key"), "0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        self.lines = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        line = self.next_line()
        if not line.startswith("PORT "):
            raise AssertionError(f"expected PORT, got {line!r}")
        self.port = int(line.split()[1])

    def _read_stdout(self):
        for raw in self.process.stdout:
            self.lines.put(raw.decode().strip())
        self.lines.put(None)

    def next_line(self):
        try:
            line = self.lines.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError("the server said nothing in time") from None
        if line is None:
            raise AssertionError("the server ended its output early")
        return line

    def finish(self):
        """Closes stdin; returns the RECEIVED count and the exit status."""
        self.process.stdin.close()
        received = None
        try:
            line = self.next_line()
            if line.startswith("RECEIVED "):
                received = int(line.split()[1])
            status = self.process.wait(timeout=WAIT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=WAIT)
            self.log.close()
        return received, status


class Peer:
    """The CA's credentials for connecting to the AA's server."""

    def __init__(self, trio, workdir):
        with open(os.path.join(trio, "ca-secrets", "server.crt")) as f:
            own = f.read()
        with open(os.path.join(trio, "ca", "peers", AA_ID, "sub-ca.crt")) as f:
            sub_ca = first_pem_block(f.read())
        if not own.endswith("\n"):
            own += "\n"
        self.chain = os.path.join(workdir, "client-chain.pem")
        with open(self.chain, "w") as f:
            f.write(own + sub_ca)
        self.leaf = os.path.join(trio, "ca-secrets", "server.crt")
        self.key = os.path.join(trio, "ca-secrets", "server.key")
        self.trusted = os.path.join(trio, "aa", "root-ca.crt")

    def connect(self, port, listener):
        host = ("127.0.0.1", port)
        conn = stomp.Connection12([host], reconnect_attempts_max=1, heartbeats=(0, 0))
        conn.set_ssl(for_hosts=[host], key_file=self.key, cert_file=self.chain, ca_certs=self.trusted)
        conn.set_listener("recorder", listener)
        conn.connect(wait=False)
        wait_for(listener.connected, "CONNECTED")
        return conn


def wait_for(event, what):
    if not event.wait(WAIT):
        raise AssertionError(f"no {what} within {WAIT} s")


def bounded(action, what):
    """Runs a stomp.py call that may block without a bound of its own."""
    failure = []

    def run():
        try:
            action()
        except Exception as e:  # reported by the caller's thread
            failure.append(e)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(WAIT)
    if worker.is_alive():
        raise AssertionError(f"{what} did not finish within {WAIT} s")
    if failure:
        raise failure[0]


def send_message(conn, receipt, body, destination=EXPECTED_DESTINATION, message_type="PrepareTransfer"):
    conn.send(destination, body, content_type="application/json",
              headers={"type": message_type, "persistent": "true", "receipt": receipt})


def case_messages_are_receipted(peer, server):
    ids = [str(i) for i in range(1, MESSAGES + 1)]
    listener = Recorder(last_receipt=ids[-1])
    conn = peer.connect(server.port, listener)
    for i, receipt in enumerate(ids, start=1):
        send_message(conn, receipt, json.dumps(prepare_transfer(i)))
    wait_for(listener.all_receipted, f"RECEIPT {ids[-1]}")
    # Receipts are cumulative: ascending, each one an id we sent.
    numbers = [int(r) for r in listener.receipts]
    assert numbers == sorted(set(numbers)), f"receipts out of order: {listener.receipts[:20]}..."
    assert set(listener.receipts) <= set(ids), "a receipt for an id never sent"
    assert not listener.errors, f"unexpected ERROR: {listener.errors}"
    # A graceful end: DISCONNECT with a receipt, answered, then the close.
    bounded(lambda: conn.disconnect(receipt="bye"), "DISCONNECT")
    wait_for(listener.disconnected, "close after DISCONNECT")
    assert listener.receipts[-1] == "bye", f"last receipt {listener.receipts[-1]!r}, not the DISCONNECT's"
    return MESSAGES


def rejected(peer, server, send, expected):
    """One connection: `send` makes the peer misbehave; the server must
    answer with ERROR `expected` (a dict of headers that must match) and close."""
    listener = Recorder()
    conn = peer.connect(server.port, listener)
    send(conn)
    wait_for(listener.error, "ERROR")
    wait_for(listener.disconnected, "close after ERROR")
    bounded(lambda: conn.disconnect(), "stopping the client")
    assert len(listener.errors) == 1, f"ERROR frames: {listener.errors}"
    headers = listener.errors[0]
    for name, value in expected.items():
        assert headers.get(name) == value, f"ERROR {name}: {headers.get(name)!r}, expected {value!r}"
    assert not listener.receipts, f"unexpected receipts {listener.receipts}"


def case_wrong_destination(peer, server):
    rejected(peer, server,
             lambda conn: send_message(conn, "w1", json.dumps(prepare_transfer(1)),
                                       destination="/exchange/creditors_in"),
             {"message": 'Invalid SEND destination "/exchange/creditors_in".', "receipt-id": "w1",
              "type": "PrepareTransfer", "content-type": "application/json"})
    return 0


def case_invalid_body(peer, server):
    body = prepare_transfer(2)
    del body["recipient"]
    rejected(peer, server, lambda conn: send_message(conn, "b1", json.dumps(body)),
             {"message": "Invalid PrepareTransfer message.", "receipt-id": "b1"})
    return 0


def case_foreign_creditor(peer, server):
    # A creditor outside the CA's subnet 000001 (the AA's numbering).
    body = prepare_transfer(3, creditor_id=0x0000020000000003, coordinator_id=0x0000020000000003)
    rejected(peer, server, lambda conn: send_message(conn, "c1", json.dumps(body)),
             {"message": "Invalid creditor ID: 0x0000020000000003.", "receipt-id": "c1"})
    return 0


def case_messages_then_bad_frame(peer, server):
    # Good messages first, then an unexpected command on the same connection:
    # the good ones are receipted, the connection ends with the ERROR.
    listener = Recorder(last_receipt="5")
    conn = peer.connect(server.port, listener)
    for i in range(1, 6):
        send_message(conn, str(i), json.dumps(prepare_transfer(100 + i)))
    wait_for(listener.all_receipted, "RECEIPT 5")
    conn.subscribe("/queue/x", id="s1")
    wait_for(listener.error, "ERROR")
    wait_for(listener.disconnected, "close after ERROR")
    bounded(lambda: conn.disconnect(), "stopping the client")
    assert listener.errors[0].get("message") == 'Received unexpected command "SUBSCRIBE".', listener.errors
    return 5


def case_leaf_without_sub_ca_is_refused(peer, server):
    # The CA's own certificate alone does not chain to the AA's root. In TLS
    # 1.3 the client finishes its handshake first, so stomp.py may still
    # connect and send STOMP; the server's alert then ends the connection.
    listener = Recorder()
    host = ("127.0.0.1", server.port)
    conn = stomp.Connection12([host], reconnect_attempts_max=1, heartbeats=(0, 0))
    conn.set_ssl(for_hosts=[host], key_file=peer.key, cert_file=peer.leaf, ca_certs=peer.trusted)
    conn.set_listener("recorder", listener)
    quiet = logging.getLogger("stomp.py")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # stomp.py logs the expected failure with a traceback
    try:
        bounded(lambda: conn.connect(wait=False), "connecting")
    except (stomp.exception.StompException, OSError):
        pass  # the alert came before, while or after sending STOMP
    else:
        wait_for(listener.disconnected, "close of a refused connection")
    finally:
        quiet.setLevel(level)
    bounded(lambda: conn.disconnect(), "stopping the client")
    assert not listener.connected.is_set(), "CONNECTED without a valid client chain"
    assert not listener.receipts and not listener.errors, (listener.receipts, listener.errors)
    return 0


CASES = [
    case_messages_are_receipted,
    case_leaf_without_sub_ca_is_refused,
    case_wrong_destination,
    case_invalid_body,
    case_foreign_creditor,
    case_messages_then_bad_frame,
]


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    server_exe, gen_nodedata = sys.argv[1:]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="swpt-stomppy-") as workdir:
        trio = os.path.join(workdir, "trio")
        subprocess.run([gen_nodedata, trio], check=True, stdout=subprocess.DEVNULL, timeout=WAIT)
        peer = Peer(trio, workdir)
        server_log = os.path.join(workdir, "server.log")
        server = Server(server_exe, trio, server_log)
        accepted = 0
        try:
            for case in CASES:
                try:
                    accepted += case(peer, server)
                    passed += 1
                    print(f"PASS {case.__name__}")
                except Exception:
                    failed += 1
                    print(f"FAIL {case.__name__}")
                    traceback.print_exc(file=sys.stdout)
        finally:
            received, status = server.finish()
        if received == accepted and status == 0:
            passed += 1
            print(f"PASS server_received_every_accepted_message ({received})")
        else:
            failed += 1
            print(f"FAIL server_received_every_accepted_message: RECEIVED {received}, "
                  f"expected {accepted}; exit status {status}")
        if failed:
            with open(server_log, errors="replace") as f:
                print("--- server log ---")
                print(f.read())
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
