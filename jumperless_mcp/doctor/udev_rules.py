"""The udev rules this version ships (`udev/70-jumperless.rules` in the repository; a test keeps them equal).

Kept here as text because the installed package carries no data files: the doctor compares what is installed
under /etc/udev/rules.d/ with this, and prints it for the fix.
"""

from __future__ import annotations

FILE_NAME = "70-jumperless.rules"
_MATCH = 'SUBSYSTEM=="tty", ATTRS{idVendor}=="1d50", ATTRS{idProduct}=="acab"'
RULES = (
    f'{_MATCH}, MODE="0660", GROUP="dialout", ENV{{ID_MM_DEVICE_IGNORE}}="1"',
    f'{_MATCH}, ENV{{ID_USB_INTERFACE_NUM}}=="00", SYMLINK+="jumperless_main"',
    f'{_MATCH}, ENV{{ID_USB_INTERFACE_NUM}}=="02", SYMLINK+="jumperless_uart"',
    f'{_MATCH}, ENV{{ID_USB_INTERFACE_NUM}}=="04", SYMLINK+="jumperless_repl"',
    f'{_MATCH}, ENV{{ID_USB_INTERFACE_NUM}}=="06", SYMLINK+="jumperless_ser3"',
)
INSTALL = (
    "jumperless-mcp doctor --udev-rules | sudo tee /etc/udev/rules.d/70-jumperless.rules >/dev/null && "
    "sudo udevadm control --reload && sudo udevadm trigger (then replug the board)"
)


def rules_file() -> str:
    """The rules as a file to install (what `jumperless-mcp doctor --udev-rules` prints)."""
    header = "# Jumperless V5 (USB 1D50:ACAB): dialout access, /dev/jumperless_* names, no ModemManager probing.\n"
    return header + "\n".join(RULES) + "\n"


def rule_lines(text: str) -> tuple[str, ...]:
    """The rules of a file without comments and blank lines, whitespace normalised."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))
