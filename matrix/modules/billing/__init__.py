"""Billing (module 05): charges, payments that settle them, and collections over WhatsApp."""
