"""Application checks: what the service, http, load and monitor step kinds share.

A rehearsal Redis-protocol server, the sandbox-only API token, a ring buffer of a process's
output lines, and a latency histogram drawn as terminal text.
"""
