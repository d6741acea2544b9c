"""Checks an operator runs after `apply`: the admin kubeconfig, the dashboard, cluster status.

They reach the machines as the engine does (the route `kubeforge up` recorded) and run
read-only commands there; they change nothing on the machines.
"""
