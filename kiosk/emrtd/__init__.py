"""Reading eMRTD and eDL chips: ISO 7816-4 APDUs, access control (BAC/BAP, PACE), secure
messaging, LDS parsing and passive/active/chip authentication (ICAO Doc 9303 parts 10-11)."""
