from capture.worker.loop import Summary, Worker, WorkerCannotRun

__all__ = ["Summary", "Worker", "WorkerCannotRun"]
