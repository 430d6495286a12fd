#!/usr/bin/env python3
"""The Linux kernel's UDP receive rate over loopback, for comparison with airstack's udp-rx benchmark.

A sender process (CPU 1) blasts datagrams with sendmmsg, 512 per call; the receiver (CPU 0) drains them with
recvmmsg, 512 per call, into a 32 MiB socket buffer. Batching on both sides keeps Python and the system call cost
out of the figure, so what is measured is the kernel's own path: UDP/IP transmit, the loopback device, the receive
softirq (which runs on the sender's CPU), IP/UDP receive, the socket queue and the copy to user space.

Prints one JSON object: {"pps": ..., "packets": ..., "seconds": ..., "sent": ...}.
"""
import ctypes
import ctypes.util
import json
import os
import socket
import struct
import sys
import time

size, secs = int(sys.argv[1]), float(sys.argv[2])
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)


class Iovec(ctypes.Structure):
    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [('name', ctypes.c_void_p), ('namelen', ctypes.c_uint32), ('iov', ctypes.POINTER(Iovec)),
                ('iovlen', ctypes.c_size_t), ('control', ctypes.c_void_p), ('controllen', ctypes.c_size_t),
                ('flags', ctypes.c_int)]


class Mmsghdr(ctypes.Structure):
    _fields_ = [('hdr', Msghdr), ('len', ctypes.c_uint)]


VLEN = 512


def vectors(bufsize):
    bufs = (ctypes.c_char * bufsize * VLEN)()
    iovs = (Iovec * VLEN)()
    msgs = (Mmsghdr * VLEN)()
    for i in range(VLEN):
        iovs[i].base = ctypes.addressof(bufs[i])
        iovs[i].len = bufsize
        msgs[i].hdr.iov = ctypes.pointer(iovs[i])
        msgs[i].hdr.iovlen = 1
    return bufs, iovs, msgs


def pin(cpu):
    if hasattr(os, 'sched_setaffinity') and os.cpu_count() and os.cpu_count() > cpu:
        os.sched_setaffinity(0, {cpu})


rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
rx.bind(('127.0.0.1', 0))
port = rx.getsockname()[1]
rd, wr = os.pipe()
pid = os.fork()
if pid == 0:
    pin(1)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.connect(('127.0.0.1', port))
    keep = vectors(size)
    sent = 0
    end = time.time() + secs
    while time.time() < end:
        k = libc.sendmmsg(tx.fileno(), keep[2], VLEN, 0)
        if k > 0:
            sent += k
    os.write(wr, str(sent).encode())
    os._exit(0)
pin(0)
keep = vectors(2048)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('ll', 1, 0))
n = 0
t0 = last = None
while True:
    k = libc.recvmmsg(rx.fileno(), keep[2], VLEN, 0, None)
    if k <= 0:
        break
    now = time.perf_counter()
    if t0 is None:
        t0 = now  # the first batch starts the clock
    else:
        n += k
    last = now
os.waitpid(pid, 0)
sent = int(os.read(rd, 64) or b'0')
seconds = (last - t0) if t0 is not None and last > t0 else 0
print(json.dumps({'pps': n / seconds if seconds else 0, 'packets': n, 'seconds': seconds, 'sent': sent}))
