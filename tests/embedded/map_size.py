#!/usr/bin/python3
"""tests/embedded/map_size.py MAP OBJECT: bytes of flash (.text*, .rodata*) and of static RAM
(.data*, .bss*, .tdata*, .tbss*) that OBJECT (a file name) contributes to a linked program,
read from GNU ld's map file (-Wl,-Map): input sections kept after --gc-sections only (the map's
"Discarded input sections" list is skipped). OBJECT may be an archive (libmbedtls.a): then
every member linked from it counts. Prints "FLASH RAM"."""
import re
import sys

lines = open(sys.argv[1], errors="replace").read().split("\n")
obj = sys.argv[2]
start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
flash = ram = 0
pending = None
for l in lines[start:]:
    m = re.match(r"^ (\.\S+)\s*$", l)          # a long section name: its numbers on the next line
    if m:
        pending = m.group(1)
        continue
    m = re.match(r"^ (\.\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)\s*$", l)
    sec = (m.group(1) or pending) if m else None
    pending = None
    name = m.group(3) if m else ""
    if not sec or not (name.endswith(obj) or name.endswith(")") and "/" + obj + "(" in "/" + name):
        continue
    size = int(m.group(2), 16)
    if sec.startswith((".text", ".rodata")):
        flash += size
    elif sec.startswith((".data", ".bss", ".tdata", ".tbss")):
        ram += size
print(flash, ram)
