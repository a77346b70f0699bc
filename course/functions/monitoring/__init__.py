"""Monitoring of saved functions, as CloudWatch does it for Lambda: every invocation's log stream
(START / the function's output / END / REPORT) and per-minute metrics (invocations, errors,
throttles, duration p50/p99, max memory), fed by course.functions.signals whatever the trigger."""
