"""Agenda (module 04): appointments, and the reminders the scheduler delivers when due."""
