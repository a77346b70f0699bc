from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "course.functions.monitoring"
    label = "monitoring"
    verbose_name = "Function monitoring"

    def ready(self) -> None:
        # The receivers are connected here, once, with dispatch_uids: the seam (execution.run)
        # announces every invocation and throttle and knows nothing of monitoring.
        from course.functions import signals
        from course.functions.monitoring import recording

        signals.invoked.connect(recording.record_invocation, dispatch_uid="monitoring.invoked")
        signals.throttled.connect(recording.record_throttle, dispatch_uid="monitoring.throttled")
