"""The lab: the planned machines as systemd-nspawn containers on sealed network namespaces.

Public surface: `lifecycle.up/down/status/console_argv` (bring the lab up, tear it down, inspect
it, run a command inside a machine), `access.route/endpoint` (how the operator reaches a machine
by SSH), `seeds.lab_plan/render_seeds` (the plan and NoCloud seeds the lab boots from). Every
object the lab makes is named with its prefix (`kf`) and recorded as it is made, so teardown
removes exactly that. Concepts and the network picture: docs/lab.md.
"""
