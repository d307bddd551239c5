"""Entities, rules, catalogue loading and workflow. Pure Python: no Qt here."""
