"""The device authorization grant (RFC 8628): the device's two protocol endpoints, subclassed from DOT's,
and the person's pages (enter the code, approve on the consent screen).

A package of its own rather than more of `portal.consent`: it has no models (DOT's DeviceGrant holds the
state), so it needs no INSTALLED_APPS entry, and its writes and protocol glue stay out of the consent
app's modules. It reuses consent's scope arithmetic, consent record service and consent card template.
"""
