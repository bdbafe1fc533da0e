"""Offline speaker diarization for mono calls: which speaker said each recognized word.

Why this method. The product must run with no model download, on two CPU cores, next to
faster-whisper; neural diarizers (pyannote, NeMo) need weights from a hub. What does
separate two people on a phone call is their voice: vocal-tract shape (the spectral
envelope, summarized by MFCCs) and pitch. So the classic unsupervised recipe, in numpy:

1. Frame features every 10 ms: 19 MFCCs (c0, the loudness, dropped) and log-F0 from a
   normalized autocorrelation (unvoiced frames have no F0).
2. Speech frames are those inside the words the recognizer found: the ASR is our VAD.
3. Sliding 1 s windows of speech (hop 0.5 s) become one vector each: mean MFCCs plus
   median log-F0, z-scored. K-means (k-means++, several restarts) splits the windows
   into ``max_speakers`` clusters. Windows are long enough for stable statistics and
   short enough to sit inside one turn most of the time.
4. Word-level refinement: each cluster gets a diagonal Gaussian over its frames; every
   word is scored by the log-likelihood of its own frames under each speaker model, and
   a Viterbi pass over the word sequence picks labels with a switch penalty that fades
   with the pause before the word (people rarely swap mid-phrase, often after a pause).
   Models are re-fitted on the new labels and the pass repeats.
5. One speaker or two? If the two clusters are barely apart (a Fisher-style ratio of
   between- to within-cluster spread below a threshold) everything is speaker 0.
   Labels are numbered by first appearance: speaker 0 spoke first.

Measured (see ``tests/measure_diarization.py``): on generated mono calls with the two
default espeak-ng voices the word attribution after the best label permutation is
reported in the README of the tests and by that script. Real calls with similar voices,
cross-talk and line noise will score lower; Deepgram (diarize=true) is the production
path, stereo recordings (one party per channel) need no diarization at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FRAME_HOP = 0.010
FRAME_LENGTH = 0.032
N_MELS = 40
N_MFCC = 19
MIN_F0, MAX_F0 = 60.0, 400.0
VOICING_THRESHOLD = 0.5
WINDOW_FRAMES = 100
WINDOW_HOP_FRAMES = 50
MIN_WINDOW_SPEECH = 30
SWITCH_PENALTY = 8.0  # nats for a speaker change with no pause before the word
PAUSE_SCALE = 0.4  # seconds: the switch penalty decays as exp(-pause / PAUSE_SCALE)
SEPARATION_THRESHOLD = 1.0
REFINEMENT_PASSES = 2


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame features: MFCCs ``(n, N_MFCC)``, log2-F0 (NaN if unvoiced), log energy."""

    mfcc: np.ndarray
    log_f0: np.ndarray
    log_energy: np.ndarray
    hop: float = FRAME_HOP

    def __len__(self) -> int:
        return int(self.mfcc.shape[0])


def diarize_words(
    samples: np.ndarray,
    sample_rate: int,
    spans: Sequence[tuple[float, float]],
    *,
    max_speakers: int = 2,
) -> list[int]:
    """Speaker label (0-based, by first appearance) for each ``(start, end)`` word span."""
    if not spans:
        return []
    if max_speakers < 1:
        raise ValueError("max_speakers must be at least 1")
    features = frame_features(samples, sample_rate)
    word_frames = _word_frames(spans, len(features), features.hop)
    if max_speakers == 1:
        return [0] * len(spans)
    windows = _window_embeddings(features, word_frames)
    if windows.shape[0] < max_speakers:
        return [0] * len(spans)
    window_labels, separation = _cluster(windows.vectors, max_speakers)
    if separation < SEPARATION_THRESHOLD:
        return [0] * len(spans)
    labels = _labels_from_windows(windows, window_labels, word_frames, max_speakers)
    labels = _refine(features, word_frames, spans, labels, max_speakers)
    return _by_first_appearance(labels)


# --- frame features -------------------------------------------------------------------


def frame_features(samples: np.ndarray, sample_rate: int) -> FrameFeatures:
    """MFCCs, log-F0 and log energy every ``FRAME_HOP`` seconds of mono ``samples``."""
    signal = np.asarray(samples, dtype=np.float32)
    if signal.ndim != 1:
        raise ValueError("diarization takes mono samples")
    hop = int(round(FRAME_HOP * sample_rate))
    length = int(round(FRAME_LENGTH * sample_rate))
    n_fft = 1 << int(np.ceil(np.log2(2 * length)))  # room for an unwrapped autocorrelation
    signal = np.append(signal[0], signal[1:] - 0.97 * signal[:-1]).astype(np.float32)
    if signal.size < length:
        signal = np.pad(signal, (0, length - signal.size))
    n_frames = 1 + (signal.size - length) // hop
    window = np.hanning(length).astype(np.float32)
    mel = _mel_filterbank(sample_rate, n_fft, N_MELS)
    dct = _dct_matrix(N_MELS, N_MFCC + 1)[1:]
    min_lag = int(sample_rate / MAX_F0)
    max_lag = min(int(sample_rate / MIN_F0), length - 1)

    mfcc = np.empty((n_frames, N_MFCC), dtype=np.float32)
    log_f0 = np.full(n_frames, np.nan, dtype=np.float32)
    log_energy = np.empty(n_frames, dtype=np.float32)
    frames_view = np.lib.stride_tricks.sliding_window_view(signal, length)[::hop]
    for start in range(0, n_frames, 4096):  # chunks keep memory flat on long calls
        frames = frames_view[start : start + 4096] * window
        power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
        energy = power.sum(axis=1) + 1e-10
        log_energy[start : start + len(frames)] = np.log(energy)
        mfcc[start : start + len(frames)] = np.log(power @ mel.T + 1e-10) @ dct.T
        autocorr = np.fft.irfft(power, n=n_fft, axis=1)[:, : max_lag + 1]
        normalized = autocorr[:, min_lag:] / (autocorr[:, :1] + 1e-10)
        best = normalized.argmax(axis=1)
        strength = normalized[np.arange(len(frames)), best]
        voiced = strength > VOICING_THRESHOLD
        f0 = sample_rate / (best + min_lag)
        log_f0[start : start + len(frames)] = np.where(voiced, np.log2(f0), np.nan)
    # Frames far below the loudest speech are silence or line noise: no pitch there.
    quiet = log_energy < np.percentile(log_energy, 99) - np.log(10**5)
    log_f0[quiet] = np.nan
    return FrameFeatures(mfcc=mfcc, log_f0=log_f0, log_energy=log_energy)


def _mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    def to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (mel / 2595.0) - 1.0)

    edges = to_hz(
        np.linspace(to_mel(np.array(60.0)), to_mel(np.array(sample_rate / 2 * 0.95)), n_mels + 2)
    )
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    bank = np.zeros((n_mels, bins.size), dtype=np.float32)
    for i in range(n_mels):
        low, centre, high = edges[i : i + 3]
        rising = (bins - low) / (centre - low)
        falling = (high - bins) / (high - centre)
        bank[i] = np.clip(np.minimum(rising, falling), 0.0, None)
    return bank


def _dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    return (np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)).astype(np.float32)


# --- words, windows, clusters ---------------------------------------------------------


def _word_frames(spans: Sequence[tuple[float, float]], n_frames: int, hop: float) -> list[slice]:
    frames = []
    for start, end in spans:
        first = min(max(int(start / hop), 0), n_frames - 1)
        last = min(max(int(np.ceil(end / hop)), first + 1), n_frames)
        frames.append(slice(first, last))
    return frames


@dataclass(frozen=True)
class _Windows:
    vectors: np.ndarray  # (n_windows, N_MFCC + 1), z-scored
    starts: np.ndarray  # first frame of each window

    @property
    def shape(self) -> tuple[int, ...]:
        return self.vectors.shape


def _window_embeddings(features: FrameFeatures, word_frames: list[slice]) -> _Windows:
    speech = np.zeros(len(features), dtype=bool)
    for frames in word_frames:
        speech[frames] = True
    vectors, starts = [], []
    for start in range(0, max(1, len(features) - WINDOW_FRAMES // 2), WINDOW_HOP_FRAMES):
        inside = slice(start, start + WINDOW_FRAMES)
        mask = speech[inside]
        if mask.sum() < MIN_WINDOW_SPEECH:
            continue
        mfcc = features.mfcc[inside][mask].mean(axis=0)
        pitch = features.log_f0[inside][mask]
        pitch = pitch[~np.isnan(pitch)]
        vectors.append(np.append(mfcc, np.median(pitch) if pitch.size >= 5 else np.nan))
        starts.append(start)
    if not vectors:
        return _Windows(np.empty((0, N_MFCC + 1)), np.empty(0, dtype=int))
    matrix = np.array(vectors, dtype=np.float64)
    pitch_column = matrix[:, -1]
    if np.isnan(pitch_column).all():
        pitch_column[:] = 0.0
    else:
        pitch_column[np.isnan(pitch_column)] = np.nanmedian(pitch_column)
    matrix = (matrix - matrix.mean(axis=0)) / (matrix.std(axis=0) + 1e-8)
    # Pitch is one column against 19 MFCCs; weight it so it counts like a few of them.
    matrix[:, -1] *= 3.0
    return _Windows(matrix, np.array(starts))


def _cluster(vectors: np.ndarray, k: int, restarts: int = 8) -> tuple[np.ndarray, float]:
    """K-means labels and a separation score (between / within cluster distance)."""
    rng = np.random.default_rng(0)
    best_labels, best_inertia = np.zeros(len(vectors), dtype=int), np.inf
    for _ in range(restarts):
        centres = _kmeans_plus_plus(vectors, k, rng)
        for _ in range(50):
            distances = ((vectors[:, None, :] - centres[None]) ** 2).sum(axis=2)
            labels = distances.argmin(axis=1)
            updated = np.array(
                [
                    vectors[labels == c].mean(axis=0) if np.any(labels == c) else centres[c]
                    for c in range(k)
                ]
            )
            if np.allclose(updated, centres):
                break
            centres = updated
        inertia = float(distances[np.arange(len(vectors)), labels].sum())
        if inertia < best_inertia:
            best_labels, best_inertia = labels, inertia
    return best_labels, _separation(vectors, best_labels, k)


def _kmeans_plus_plus(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = [vectors[rng.integers(len(vectors))]]
    for _ in range(1, k):
        distances = np.min([((vectors - c) ** 2).sum(axis=1) for c in centres], axis=0)
        total = distances.sum()
        index = rng.choice(len(vectors), p=distances / total) if total > 0 else 0
        centres.append(vectors[index])
    return np.array(centres)


def _separation(vectors: np.ndarray, labels: np.ndarray, k: int) -> float:
    groups = [vectors[labels == c] for c in range(k)]
    if any(len(g) < 2 for g in groups):
        return 0.0
    centres = np.array([g.mean(axis=0) for g in groups])
    within = np.mean([np.sqrt(((g - g.mean(axis=0)) ** 2).sum(axis=1)).mean() for g in groups])
    between = np.mean(
        [np.linalg.norm(centres[a] - centres[b]) for a in range(k) for b in range(a + 1, k)]
    )
    return float(between / (within + 1e-8))


def _labels_from_windows(
    windows: _Windows, window_labels: np.ndarray, word_frames: list[slice], k: int
) -> np.ndarray:
    """Each word takes the label most of the windows covering it voted for."""
    labels = np.zeros(len(word_frames), dtype=int)
    for index, frames in enumerate(word_frames):
        votes = np.zeros(k)
        for start, label in zip(windows.starts, window_labels, strict=True):
            overlap = min(frames.stop, start + WINDOW_FRAMES) - max(frames.start, start)
            if overlap > 0:
                votes[label] += overlap
        if votes.any():
            labels[index] = int(votes.argmax())
        elif index:
            labels[index] = labels[index - 1]
    return labels


# --- word-level refinement ------------------------------------------------------------


def _refine(
    features: FrameFeatures,
    word_frames: list[slice],
    spans: Sequence[tuple[float, float]],
    labels: np.ndarray,
    k: int,
) -> np.ndarray:
    pauses = np.array(
        [0.0] + [max(0.0, spans[i][0] - spans[i - 1][1]) for i in range(1, len(spans))]
    )
    switch_cost = SWITCH_PENALTY * np.exp(-pauses / PAUSE_SCALE)
    for _ in range(REFINEMENT_PASSES):
        models = [_SpeakerModel.fit(features, word_frames, labels == c) for c in range(k)]
        if any(m is None for m in models):
            break
        scores = np.array(
            [[m.log_likelihood(features, frames) for m in models] for frames in word_frames]  # type: ignore[union-attr]
        )
        updated = _viterbi(scores, switch_cost)
        if np.array_equal(updated, labels):
            break
        labels = updated
    return labels


@dataclass(frozen=True)
class _SpeakerModel:
    """Diagonal Gaussians over a speaker's MFCC frames and voiced log-F0 frames."""

    mfcc_mean: np.ndarray
    mfcc_var: np.ndarray
    f0_mean: float
    f0_var: float

    @classmethod
    def fit(
        cls, features: FrameFeatures, word_frames: list[slice], chosen: np.ndarray
    ) -> _SpeakerModel | None:
        selected = [frames for frames, keep in zip(word_frames, chosen, strict=True) if keep]
        if not selected:
            return None
        mfcc = np.concatenate([features.mfcc[f] for f in selected])
        f0 = np.concatenate([features.log_f0[f] for f in selected])
        f0 = f0[~np.isnan(f0)]
        if len(mfcc) < 10:
            return None
        return cls(
            mfcc_mean=mfcc.mean(axis=0),
            mfcc_var=mfcc.var(axis=0) + 1e-3,
            f0_mean=float(f0.mean()) if f0.size else 7.0,
            f0_var=float(f0.var()) + 1e-2 if f0.size > 1 else 1.0,
        )

    def log_likelihood(self, features: FrameFeatures, frames: slice) -> float:
        mfcc = features.mfcc[frames]
        ll = -0.5 * (((mfcc - self.mfcc_mean) ** 2) / self.mfcc_var + np.log(self.mfcc_var)).sum()
        f0 = features.log_f0[frames]
        f0 = f0[~np.isnan(f0)]
        ll += -0.5 * (((f0 - self.f0_mean) ** 2) / self.f0_var + np.log(self.f0_var)).sum()
        # Per-frame average keeps long words from drowning the switch penalty.
        return float(ll / max(1, len(mfcc)))


def _viterbi(scores: np.ndarray, switch_cost: np.ndarray) -> np.ndarray:
    n, k = scores.shape
    total = scores[0].copy()
    back = np.zeros((n, k), dtype=int)
    for i in range(1, n):
        stay = total
        best_other = np.array([np.max(np.delete(total, c)) if k > 1 else -np.inf for c in range(k)])
        other_from = np.array(
            [int(np.delete(np.arange(k), c)[np.argmax(np.delete(total, c))]) for c in range(k)]
        )
        switch = best_other - switch_cost[i]
        back[i] = np.where(stay >= switch, np.arange(k), other_from)
        total = np.maximum(stay, switch) + scores[i]
    labels = np.zeros(n, dtype=int)
    labels[-1] = int(total.argmax())
    for i in range(n - 1, 0, -1):
        labels[i - 1] = back[i, labels[i]]
    return labels


def _by_first_appearance(labels: np.ndarray) -> list[int]:
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return [order[int(label)] for label in labels]
