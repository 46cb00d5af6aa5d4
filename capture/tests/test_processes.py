"""Real worker processes sharing one MariaDB: no job runs twice, signals stop cleanly, dead workers' jobs come back."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from capture.browser import process_tree
from capture.tests.conftest import make_post
from posts.models import JobStatus, PostImage, PostImageJob

# Committed rows (transaction=True): the workers are other processes.
pytestmark = [pytest.mark.mysql, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"><rect width="2" height="3" fill="#%s"/></svg>'
CANVAS = 'ctx.fillStyle = "#%s"; ctx.fillRect(0, 0, width / 2, height);'
SHADER = "void mainImage(out vec4 c, in vec2 p) { c = vec4(p.x / iResolution.x, 0.%s, 0.5, 1.0); }"


def database_url():
    """The test database (test_<name>), which the worker processes must use too."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"mysql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"


def start_worker(*args, lease_seconds=300, timeout=15, secret_key=None):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CAPTURE_LEASE_SECONDS": str(lease_seconds),
        "CAPTURE_TIMEOUT_SECONDS": str(timeout),
    }
    if secret_key:
        env["DJANGO_SECRET_KEY"] = secret_key
    return subprocess.Popen(
        [sys.executable, "manage.py", "capture_queue", "--skip-checks", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def make_posts(count):
    codes = [("svg", SVG), ("canvas", CANVAS), ("shader", SHADER)]
    return [make_post(codes[n % 3][0], codes[n % 3][1] % f"{n:02d}{n:02d}{n:02d}"[:6]) for n in range(count)]


def test_three_workers_share_24_posts_and_no_job_runs_twice():
    make_posts(24)

    workers = [start_worker() for _ in range(3)]
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0, 0], outputs
    jobs = list(PostImageJob.objects.all())
    assert len(jobs) == 48
    assert {(job.status, job.attempts) for job in jobs} == {(JobStatus.SUCCESS, 1)}
    assert PostImage.objects.count() == 48
    assert sum(output.count("outcome=success") for output in outputs) == 48
    assert sum(1 for output in outputs if "outcome=success" in output) >= 2  # the work was shared


def test_sigterm_to_a_watching_worker_finishes_in_flight_work_and_exits_zero():
    make_posts(10)
    worker = start_worker("--watch", "--interval", "1", "--concurrency", "2")
    wait_for(lambda: PostImageJob.objects.filter(status=JobStatus.SUCCESS).exists())

    worker.send_signal(signal.SIGTERM)
    output = worker.communicate(timeout=60)[0]

    assert worker.returncode == 0, output
    assert not PostImageJob.objects.running().exists()
    # A lane claims a job only when it can start it: the rest were never touched.
    assert PostImageJob.objects.pending().exists()
    for job in PostImageJob.objects.pending():
        assert (job.attempts, job.locked_by, job.last_error) == (0, "", None)
    assert PostImageJob.objects.filter(status=JobStatus.SUCCESS).count() == PostImage.objects.count()


def test_an_idle_watching_worker_exits_at_once_on_sigint():
    worker = start_worker("--watch", "--interval", "60")
    started = ""
    while "started" not in started and worker.poll() is None:
        started = worker.stdout.readline()

    worker.send_signal(signal.SIGINT)
    output = worker.communicate(timeout=15)[0]  # well before the next poll would be due

    assert worker.returncode == 0, started + output


def test_jobs_of_a_killed_worker_are_finished_by_another_after_the_lease():
    make_posts(6)
    doomed = start_worker("--concurrency", "2", lease_seconds=5)
    wait_for(lambda: PostImageJob.objects.running().exists())
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate(timeout=30)
    orphaned = set(PostImageJob.objects.running().values_list("id", flat=True))
    assert orphaned

    rescuer = start_worker("--watch", "--interval", "1", lease_seconds=5)
    wait_for(lambda: not PostImageJob.objects.exclude(status=JobStatus.SUCCESS).exists())
    rescuer.send_signal(signal.SIGTERM)
    output = rescuer.communicate(timeout=60)[0]

    assert rescuer.returncode == 0, output
    assert "took back" in output
    rescued = PostImageJob.objects.filter(id__in=orphaned)
    assert {(job.status, job.attempts) for job in rescued} == {(JobStatus.SUCCESS, 2)}
    assert PostImage.objects.count() == 12


def test_a_second_signal_exits_at_once_and_the_cut_off_job_comes_back():
    looping = make_post("canvas", "while (true) {}")
    worker = start_worker("--watch", "--interval", "1")
    wait_for(lambda: PostImageJob.objects.running().filter(post=looping).exists())
    time.sleep(1)  # into the capture, which would run until its 15 s timeout

    worker.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    worker.send_signal(signal.SIGTERM)
    output = worker.communicate(timeout=30)[0]

    assert worker.returncode == 0, output
    assert "exiting now" in output
    assert not PostImageJob.objects.running().exists()
    cut_off = PostImageJob.objects.get(post=looping, kind="thumb")
    assert cut_off.status == JobStatus.PENDING
    assert "stopped mid-capture" in cut_off.last_error  # cut off, not timed out after 15 s


def test_a_watching_worker_survives_losing_its_database_connections():
    worker = start_worker("--watch", "--interval", "1")
    make_posts(1)
    wait_for(lambda: PostImage.objects.count() == 2)

    with connection.cursor() as cursor:  # as a database restart would: every worker connection dropped
        cursor.execute(
            "SELECT id FROM information_schema.PROCESSLIST WHERE db = %s AND id <> CONNECTION_ID()",
            [connection.settings_dict["NAME"]],
        )
        worker_connections = cursor.fetchall()
        for (connection_id,) in worker_connections:
            cursor.execute(f"KILL {int(connection_id)}")
    assert worker_connections
    make_posts(1)
    wait_for(lambda: PostImage.objects.count() == 4)

    worker.send_signal(signal.SIGTERM)
    output = worker.communicate(timeout=60)[0]
    assert worker.returncode == 0, output


# A post whose capture takes a few seconds and then succeeds: six short loops of counted work,
# each well under the loop guard's budget (counted work: the harness fakes the clock in captures).
# About 5 s of first frame here (each loop ~150 ms, far inside the loop guard's 2 s), so that the
# capture is still in flight when the signal comes, even on a quick machine.
SLOW = (
    "let x = 0;\n"
    + "for (let i = 0; i < 2e7; i++) x += i % 7;\n" * 32
    + 'ctx.fillStyle = "#369"; ctx.fillRect(0, 0, x % 2 + width, height);'
)


def descendants(pid):
    """Every process below pid (what systemd's control group holds beside it: Playwright's driver, Chromium)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children = open(f"/proc/{pid}/task/{task}/children").read().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


@pytest.mark.parametrize("kill_mode", ["mixed", "control-group"])
def test_systemd_stops_a_worker_without_losing_its_capture_only_with_kill_mode_mixed(kill_mode):
    # deploy/systemd/imagesite-worker@.service: KillMode=mixed sends SIGTERM to the worker alone;
    # systemd's default (control-group) sends it to every process of the unit at once.
    slow = make_post("canvas", SLOW)
    worker = start_worker("--watch", "--interval", "1", timeout=60)
    wait_for(lambda: PostImageJob.objects.running().filter(post=slow).exists())
    in_flight = PostImageJob.objects.running().get(post=slow)
    time.sleep(1)  # into the capture
    in_flight.refresh_from_db()
    assert in_flight.status == JobStatus.RUNNING, "the capture ended before the signal: SLOW is too quick"

    for pid in [worker.pid, *(descendants(worker.pid) if kill_mode == "control-group" else [])]:
        os.kill(pid, signal.SIGTERM)
    output = worker.communicate(timeout=60)[0]

    in_flight.refresh_from_db()
    if kill_mode == "mixed":
        assert worker.returncode == 0, output
        assert in_flight.status == JobStatus.SUCCESS, output
    else:  # Chromium died under the capture: it is lost and must be done again
        assert in_flight.status != JobStatus.SUCCESS, output
        assert not PostImage.objects.filter(post=slow, kind=in_flight.kind).exists()


WEDGING_SHADER = """void mainImage(out vec4 c, in vec2 p) {
  float x = 0.0;
  for (int i = 0; i < 1000000000; i++) { x += sin(float(i) + p.x); }
  c = vec4(x, 0.0, 0.0, 1.0);
}"""


def chromium_environments(worker_pid):
    """The readable environments of the worker process's Chromium processes, by pid."""
    environments = {}
    for pid in process_tree(worker_pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"chrom" not in cmdline.read():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as environ:
                environments[pid] = environ.read().decode("utf-8", "replace")
        except OSError:
            continue
    return environments


def test_a_worker_process_survives_a_wedging_shader_and_its_browser_sees_no_secrets():
    wedging = make_post("shader", WEDGING_SHADER)
    fine = make_posts(2)
    worker = start_worker("--watch", "--interval", "1", secret_key="canary-secret-key-hunter2", timeout=8)
    try:
        wait_for(lambda: len(chromium_environments(worker.pid)) >= 3)
        environments = chromium_environments(worker.pid)
        wait_for(lambda: PostImageJob.objects.filter(post__in=fine, status=JobStatus.SUCCESS).count() == 4)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=60)[0]

    assert worker.returncode == 0, output
    assert {job.attempts for job in PostImageJob.objects.filter(post__in=fine)} == {1}
    assert f"post={wedging.pk} kind=thumb outcome=retry attempt=1" in output
    assert "its shader was still running in the GPU process, so the browser was restarted" in output
    assert any("PATH=" in environment for environment in environments.values())
    for environment in environments.values():
        assert "DATABASE_URL" not in environment
        assert "canary-secret-key-hunter2" not in environment
