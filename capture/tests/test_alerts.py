"""The alert hook: one message when captures start failing, one when they recover, to a real HTTP receiver."""

import asyncio
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from capture.tests.conftest import make_post
from capture.worker import Worker
from posts.models import CaptureAlert, PostImageJob

THROWS = 'throw new Error("the sketch is broken");'
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="4" height="3" fill="#3a3"/></svg>'


class Receiver:
    """A webhook on loopback that keeps every JSON body it is sent, or answers 500 while `failing`."""

    def __init__(self):
        self.messages = []
        self.failing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.failing:
                    self.send_response(500)
                else:
                    receiver.messages.append((self.headers["Content-Type"], json.loads(body)))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self):
        return [body["text"] for _, body in self.messages]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    listener = Receiver()
    yield listener
    listener.close()


@pytest.fixture
def alerting(capture_settings, receiver):
    capture_settings.CAPTURE_ALERT_WEBHOOK = receiver.url
    capture_settings.CAPTURE_ALERT_MIN_CAPTURES = 4
    capture_settings.CAPTURE_ALERT_FAILURE_PERCENT = 50
    return capture_settings


def check_alerts(times=1):
    """What each worker's heartbeat loop does, as several workers would."""
    for _ in range(times):
        asyncio.run(Worker().alert())


def test_failing_captures_alert_once_per_incident_and_recovery_once(run_queue, alerting, receiver):
    for n in range(3):
        make_post("canvas", THROWS, title=f"broken {n}")
    run_queue()  # six real captures, each failing with the post's own error

    check_alerts(times=3)

    assert len(receiver.messages) == 1
    content_type, body = receiver.messages[0]
    assert content_type == "application/json"
    assert body["text"] == body["content"]  # Slack reads "text", Discord "content"
    assert body["text"].startswith("imagesite: ALERT: capture failure rate over the last 15 min: 100% (6 of 6")
    assert "the sketch is broken" in body["text"]

    for n in range(4):
        make_post("svg", SVG, title=f"fine {n}")
    run_queue()  # eight successes: 6 of 14 failed, under 50%
    check_alerts(times=2)

    assert len(receiver.messages) == 2
    assert receiver.texts()[1].startswith("imagesite: RECOVERED: capture failure rate over the last 15 min: 43%")
    assert not CaptureAlert.objects.get(name="failure_rate").firing


def test_an_alert_the_webhook_refused_is_sent_again_at_the_next_check(run_queue, alerting, receiver):
    for n in range(2):
        make_post("canvas", THROWS, title=f"broken {n}")
    run_queue()
    receiver.failing = True

    check_alerts()

    assert not receiver.messages and not CaptureAlert.objects.get(name="failure_rate").firing
    receiver.failing = False
    check_alerts(times=2)
    assert [text.split(":")[1] for text in receiver.texts()] == [" ALERT"]


def test_a_job_waiting_too_long_alerts_until_it_is_captured(run_queue, alerting, receiver):
    alerting.CAPTURE_ALERT_PENDING_SECONDS = 60
    make_post("svg", SVG)
    PostImageJob.objects.update(run_after=timezone.now() - timedelta(minutes=5))

    check_alerts(times=2)

    assert len(receiver.messages) == 1
    assert receiver.texts()[0].startswith("imagesite: ALERT: oldest due capture job: waiting 30")
    run_queue()
    check_alerts()
    assert receiver.texts()[1] == "imagesite: RECOVERED: oldest due capture job: none waiting; threshold 60 s."
