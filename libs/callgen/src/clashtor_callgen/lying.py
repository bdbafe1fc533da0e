"""Audio whose container lies about its length: the quota-bypass attack of issue 11.

Opus in Matroska with every packet's timestamp set to 0. It plays (every decoder reads
the packets in order), but anything that trusts timestamps or the container's header
sees a file of one packet's length (0.02 s) however long it really is.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

_RATE = 48_000
_FRAME = 960  # 20 ms, one Opus packet


def zero_timestamp_opus_mkv(path: Path, seconds: float, *, freq: float = 220.0) -> Path:
    """Write ``seconds`` of a quiet tone as Opus-in-MKV whose packets all claim time 0.

    ``freq`` makes the bytes differ between files of the same length.
    """
    total = int(seconds * _RATE)
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("libopus", rate=_RATE)
        stream.layout = "mono"
        stream.bit_rate = 16_000

        def mux(packets: list[av.Packet]) -> None:
            for packet in packets:
                packet.pts = packet.dts = 0
                out.mux(packet)

        for start in range(0, total, _FRAME):
            t = np.arange(start, start + _FRAME, dtype=np.float64) / _RATE
            samples = (0.05 * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate = _RATE
            frame.pts = start
            mux(stream.encode(frame))
        mux(stream.encode(None))
    return path
