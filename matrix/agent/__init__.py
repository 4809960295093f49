"""Persona 2, the WhatsApp agent: drafted replies, lead qualification and guarded execution over
a conversation, and the automatic handling of inbound messages."""
