"""What Shoal's tests, benchmarks and demo share, for users who write their own:

- shoal.testing.failover: a workload that produces and consumes through failures and proves,
  from its history, that no acknowledged record was lost or duplicated;
- shoal.testing.group_member: one consumer group member in a process of its own
  (``python -m shoal.testing.group_member``), reporting what it does as JSON lines, for tests
  that SIGKILL, SIGSTOP and restart members.
"""
