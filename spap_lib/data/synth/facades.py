"""Synthetic building facades<->labels: the offline stand-in for pix2pix's Facades (CMP) dataset
(paper Sec. 4.1, Table 3), using the 12 CMP classes and palette of :mod:`spap_lib.data.palettes`.

A frontal facade on a sky background: pillars at the edges, a roof cornice and floor cornices, a grid
of windows (with moldings, sills, shutters/blinds, pediment or medallion decorations, balconies on some
floors) and a ground floor holding a door and shop fronts. The photo adds plaster or brick texture,
glass reflections and mullions, shutter slats, railing bars, shading and lighting that the labels lack.
Axis-aligned parts are drawn through ``Canvas.box`` slices, so a facade costs about its own area.
"""

from __future__ import annotations

import numpy as np

from spap_lib.data.palettes import FACADES_PALETTE, labels_to_colors
from spap_lib.data.synth.draw import Canvas, ellipse, jitter, polygon, value_noise

BACKGROUND, FACADE, WINDOW, DOOR, CORNICE, SILL, BALCONY, BLIND, DECO, MOLDING, PILLAR, SHOP = range(12)
WALLS = [
    (0.85, 0.8, 0.7),
    (0.7, 0.45, 0.35),
    (0.9, 0.88, 0.82),
    (0.75, 0.72, 0.6),
    (0.8, 0.7, 0.75),
]


def render(rng: np.random.Generator, size: int, ss: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """One (photo, label-colour) pair, both (size, size, 3) uint8; labels in the CMP facade palette."""
    cv = Canvas(size, ss)
    x, y, n = cv.x, cv.y, cv.n
    lab = cv.labels(BACKGROUND)
    sky = jitter(rng, (0.55, 0.68, 0.85), 0.1)
    img = (sky * (0.8 + 0.3 * y)[..., None]).astype(np.float32)

    def fill(box, cls, rgb, shade=None):
        img[box] = rgb if shade is None else np.asarray(rgb, np.float32) * shade[..., None]
        lab[box] = cls

    x0, x1 = rng.uniform(-0.05, 0.08), rng.uniform(0.92, 1.05)
    top = rng.uniform(0.02, 0.15)
    wall = jitter(rng, WALLS[rng.integers(len(WALLS))], 0.06)
    grain = value_noise(rng, n, max(8, size // 2))
    tex = 0.9 + 0.15 * grain
    if rng.random() < 0.35:  # brick courses
        row = np.floor(y * size / 1.5)
        mortar = (np.abs(np.sin(np.pi * y * size / 1.5)) < 0.2) | (
            np.abs(np.sin(np.pi * (x * size / 3 + 0.5 * row))) < 0.12
        )
        tex = np.where(mortar, 1.15, tex)
    fb = cv.box(x0, top, x1, 1.01)
    fill(fb, FACADE, wall, tex[fb])

    pillar_w = rng.uniform(0.03, 0.07) if rng.random() < 0.6 else 0.0
    if pillar_w:
        for a in (x0, x1 - pillar_w):
            b = cv.box(a, top, a + pillar_w, 1.01)
            fill(b, PILLAR, wall * 1.1, 0.85 + 0.3 * (x[b] - a) / pillar_w)

    floors = int(rng.integers(3, 6))
    ground_h = rng.uniform(0.18, 0.28)
    fh = (1 - top - ground_h) / floors
    cols = int(rng.integers(2, 6))
    left, right = x0 + pillar_w + 0.03, x1 - pillar_w - 0.03
    cw = (right - left) / cols
    ww, wh = cw * rng.uniform(0.4, 0.62), fh * rng.uniform(0.45, 0.62)
    ch = rng.uniform(0.02, 0.04)
    b = cv.box(x0, top, x1, top + ch)
    fill(b, CORNICE, wall * 1.2, 1.1 - 0.5 * (y[b] - top) / ch)
    glass = jitter(rng, (0.2, 0.25, 0.32), 0.05)
    shutter = jitter(rng, [(0.25, 0.4, 0.3), (0.45, 0.3, 0.2), (0.75, 0.75, 0.72)][rng.integers(3)])
    shutters = rng.random() < 0.35
    deco_kind = rng.integers(3)  # 0 none, 1 pediment, 2 medallion
    for f in range(floors):
        fy = top + ch + f * fh
        if f > 0 and rng.random() < 0.35:
            fill(cv.box(x0, fy - 0.012, x1, fy + 0.004), CORNICE, wall * 1.15)
        wy0 = fy + (fh - wh) * 0.55
        wy1 = wy0 + wh
        m = max(0.008, ww * 0.1)
        for c in range(cols):
            cx = left + (c + 0.5) * cw
            wx0, wx1 = cx - ww / 2, cx + ww / 2
            fill(cv.box(wx0 - m, wy0 - m, wx1 + m, wy1 + m), MOLDING, wall * 1.22)
            b = cv.box(wx0, wy0, wx1, wy1)
            refl = 0.8 + 0.6 * np.clip(1 - (y[b] - wy0) / wh - (x[b] - wx0) / ww * 0.3, 0, 1)
            fill(b, WINDOW, glass, refl)
            bx, by = x[b], y[b]
            mull = (np.abs(bx - cx) < 0.006) | (np.abs(by - (wy0 + wh * 0.35)) < 0.005)
            img[b][mull] = 0.9
            if shutters:
                for a in (wx0 - ww * 0.5 - m, wx1 + m):
                    s = cv.box(a, wy0, a + ww * 0.5, wy1)
                    fill(s, BLIND, shutter, 0.8 + 0.3 * (np.sin(y[s] * 400) > 0))
            elif rng.random() < 0.25:
                s = cv.box(wx0, wy0, wx1, wy0 + wh * rng.uniform(0.3, 0.8))
                fill(s, BLIND, (0.75, 0.75, 0.75), 0.85 + 0.2 * (np.sin(y[s] * 500) > 0))
            fill(cv.box(wx0 - m * 1.6, wy1 + m, wx1 + m * 1.6, wy1 + m + 0.014), SILL, wall * 0.95)
            if deco_kind:
                w = cv.box(wx0 - m * 2, wy0 - m * 2 - ww * 0.3, wx1 + m * 2, wy0 - m)
                if deco_kind == 1:
                    tri = [
                        (wx0 - m, wy0 - m * 1.5),
                        (cx, wy0 - m * 1.5 - ww * 0.28),
                        (wx1 + m, wy0 - m * 1.5),
                    ]
                    d = polygon(x[w], y[w], tri)
                else:
                    d = ellipse(x[w], y[w], cx, wy0 - m * 1.5 - 0.02, ww * 0.18, 0.016)
                img[w][d] = wall * (1.3 if deco_kind == 1 else 0.8)
                lab[w][d] = DECO
        if f > 0 and rng.random() < 0.4:
            by0 = wy0 + wh * 0.62
            b = cv.box(left - 0.01, by0, right + 0.01, wy1 + 0.01)
            bars = (np.abs(np.sin(x[b] * 300)) > 0.6) | (y[b] < by0 + 0.008)
            img[b] = np.where(bars[..., None], 0.12, img[b] * 0.75)
            lab[b] = BALCONY

    gy = 1 - ground_h  # ground floor: a door and shop fronts
    fill(cv.box(x0, gy - 0.012, x1, gy + 0.006), CORNICE, wall * 1.15)
    door_c = int(rng.integers(cols))
    for c in range(cols):
        cx = left + (c + 0.5) * cw
        if c == door_c:
            dw = min(cw * 0.5, 0.12)
            b = cv.box(cx - dw / 2, gy + ground_h * 0.2, cx + dw / 2, 1.01)
            fill(b, DOOR, jitter(rng, (0.35, 0.2, 0.12), 0.08), 0.8 + 0.3 * grain[b])
        elif rng.random() < 0.7:
            fill(
                cv.box(cx - cw * 0.42, gy + ground_h * 0.12, cx + cw * 0.42, 0.97),
                SHOP,
                glass * 1.4,
            )
            img[cv.box(cx - cw * 0.42, gy + ground_h * 0.12, cx + cw * 0.42, gy + ground_h * 0.3)] = (
                rng.uniform(0.1, 0.9, 3)
            )

    light = 0.8 + 0.35 * (1 - x if rng.random() < 0.5 else x)
    img = img * light[..., None] * rng.uniform(0.85, 1.1)
    photo = cv.downsample(np.clip(img, 0, 1))
    return photo, labels_to_colors(cv.point_sample(lab), FACADES_PALETTE)
