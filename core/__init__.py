"""The school journal: domain model, rules, access policy, use cases and storage.

Imports nothing of bot/ or notifications/, and nothing of aiogram.
"""
