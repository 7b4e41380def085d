"""The failover workload's old name: it is shoal.testing.failover now, and this module keeps
`from shoal.failover import Workload` (in notebooks and users' tests) working."""

from shoal.testing.failover import Report, Workload

__all__ = ["Report", "Workload"]
