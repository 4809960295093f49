"""CRM (module 02, Persona 2): leads and their funnel, the inbox, CRM core, campaigns, and the
outbound WhatsApp queue that reminders, collections and follow-ups go through."""
