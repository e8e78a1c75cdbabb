"""Evaluation of policy-kb: retrieval and answer metrics on a question file (see eval/README.md)."""
