"""Ogg Vorbis of any channel count for the tests, encoded by the system's libvorbisenc (ctypes; Debian's
libvorbisenc2, which libsndfile brings): the FFmpeg of the PyAV wheels has no libvorbis, and its own
Vorbis encoder takes 2 channels at most (EPERM for more)."""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np


class _Page(ctypes.Structure):
    _fields_ = [("header", ctypes.POINTER(ctypes.c_ubyte)), ("header_len", ctypes.c_long),
                ("body", ctypes.POINTER(ctypes.c_ubyte)), ("body_len", ctypes.c_long)]


class _Packet(ctypes.Structure):
    _fields_ = [("packet", ctypes.c_void_p), ("bytes", ctypes.c_long), ("b_o_s", ctypes.c_long),
                ("e_o_s", ctypes.c_long), ("granulepos", ctypes.c_int64), ("packetno", ctypes.c_int64)]


def _libs():
    names = [ctypes.util.find_library(n) for n in ("vorbisenc", "vorbis", "ogg")]
    if not all(names):
        return None
    enc, vorbis, ogg = (ctypes.CDLL(n) for n in names)
    vorbis.vorbis_analysis_buffer.restype = ctypes.POINTER(ctypes.POINTER(ctypes.c_float))
    return enc, vorbis, ogg


def vorbis_ogg(samples: np.ndarray, rate: int) -> bytes:
    """``samples`` (frames, channels) in [-1, 1] as an Ogg Vorbis file."""
    libs = _libs()
    if libs is None:
        raise RuntimeError("no libvorbisenc")
    enc, vorbis, ogg = libs
    frames, channels = samples.shape
    vi, vc, vd, vb, os_ = (ctypes.create_string_buffer(1 << 16) for _ in range(5))  # (opaque states, room to spare)
    vorbis.vorbis_info_init(vi)
    if enc.vorbis_encode_init_vbr(vi, ctypes.c_long(channels), ctypes.c_long(rate), ctypes.c_float(0.1)):
        raise RuntimeError(f"libvorbisenc does not encode {channels} channels")
    vorbis.vorbis_comment_init(vc)
    vorbis.vorbis_analysis_init(vd, vi)
    vorbis.vorbis_block_init(vd, vb)
    ogg.ogg_stream_init(os_, 1)
    out = bytearray()
    page = _Page()

    def pages(flush):
        while (ogg.ogg_stream_flush if flush else ogg.ogg_stream_pageout)(os_, ctypes.byref(page)):
            out.extend(ctypes.string_at(page.header, page.header_len))
            out.extend(ctypes.string_at(page.body, page.body_len))

    heads = [_Packet() for _ in range(3)]
    vorbis.vorbis_analysis_headerout(vd, vc, *(ctypes.byref(h) for h in heads))
    for h in heads:
        ogg.ogg_stream_packetin(os_, ctypes.byref(h))
    pages(True)
    buf = vorbis.vorbis_analysis_buffer(vd, ctypes.c_int(frames))
    data = np.ascontiguousarray(samples, dtype=np.float32)
    for ch in range(channels):
        ctypes.memmove(buf[ch], np.ascontiguousarray(data[:, ch]).ctypes.data, frames * 4)
    vorbis.vorbis_analysis_wrote(vd, ctypes.c_int(frames))
    vorbis.vorbis_analysis_wrote(vd, ctypes.c_int(0))
    packet = _Packet()
    while vorbis.vorbis_analysis_blockout(vd, vb) == 1:
        vorbis.vorbis_analysis(vb, None)
        vorbis.vorbis_bitrate_addblock(vb)
        while vorbis.vorbis_bitrate_flushpacket(vd, ctypes.byref(packet)):
            ogg.ogg_stream_packetin(os_, ctypes.byref(packet))
            pages(False)
    pages(True)
    ogg.ogg_stream_clear(os_)
    vorbis.vorbis_block_clear(vb)
    vorbis.vorbis_dsp_clear(vd)
    vorbis.vorbis_comment_clear(vc)
    vorbis.vorbis_info_clear(vi)
    return bytes(out)

