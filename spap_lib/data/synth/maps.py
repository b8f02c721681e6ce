"""Synthetic maps<->aerial pairs: the offline stand-in for pix2pix's Maps dataset (paper Sec. 4.1, Table 3).

One city layout (a rotated street grid with minor and major roads, building footprints inside blocks,
parks, a river or lake that minor roads do not cross) is rendered twice: as a flat map in the exact
colours of :data:`MAP_PALETTE` (point-sampled, no anti-aliasing) and as an aerial photo with roof
colours, cast shadows, tree-canopy and water texture, asphalt, cars and lane marks (supersampled).
"""

from __future__ import annotations

import numpy as np

from spap_lib.data.synth.draw import Canvas, fbm, jitter, rotate, value_noise

MAP_CLASSES: tuple[str, ...] = ("land", "water", "park", "building", "road", "major road")
MAP_PALETTE: np.ndarray = np.array(
    [
        (236, 233, 226),
        (170, 205, 240),
        (200, 228, 185),
        (216, 209, 199),
        (255, 255, 255),
        (250, 215, 130),
    ],
    dtype=np.uint8,
)
MAP_PALETTE.setflags(write=False)
LAND, WATER, PARK, BUILDING, ROAD, MAJOR = range(6)
ROOFS = np.array(
    [
        (0.55, 0.28, 0.22),
        (0.5, 0.5, 0.52),
        (0.78, 0.76, 0.72),
        (0.38, 0.33, 0.3),
        (0.62, 0.5, 0.38),
    ],
    np.float32,
)


def render(rng: np.random.Generator, size: int, ss: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """One (aerial, map) pair, both (size, size, 3) uint8."""
    cv = Canvas(size, ss)
    x, y, n = cv.x, cv.y, cv.n
    theta = rng.uniform(-0.6, 0.6)
    u, v = rotate(x, y, 0.5, 0.5, theta)
    cell = rng.uniform(0.18, 0.32)
    iu, iv = np.floor(u / cell).astype(np.int64), np.floor(v / cell).astype(np.int64)
    fu, fv = u / cell - iu, v / cell - iv
    k = 8  # cells per side of the lookup tables (covers the rotated unit square)
    cu, cv_ = np.clip(iu + k // 2, 0, k - 1), np.clip(iv + k // 2, 0, k - 1)
    width = rng.uniform(0.05, 0.09)
    major_u, major_v = rng.random(k) < 0.25, rng.random(k) < 0.25
    wu = np.where(major_u[cu], width * 1.8, width)  # road along v at the cell's u-edge
    wv = np.where(major_v[cv_], width * 1.8, width)
    road_u, road_v = fu < wu, fv < wv
    road = road_u | road_v
    major = (road_u & major_u[cu]) | (road_v & major_v[cv_])

    # water: a winding river or a lake
    if rng.random() < 0.5:
        a, f, ph = rng.uniform(0.05, 0.15), rng.uniform(4, 9), rng.uniform(0, 6.3)
        c0, w0 = rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.12)
        water = (
            np.abs(x - (c0 + a * np.sin(f * y + ph))) < w0
            if rng.random() < 0.5
            else (np.abs(y - (c0 + a * np.sin(f * x + ph))) < w0)
        )
    else:
        water = fbm(rng, n, 2, 3) > rng.uniform(0.6, 0.72)

    # blocks: parks or 2x2 lots with buildings
    park_cell = rng.random((k, k)) < 0.15
    inner_u, inner_v = (fu - wu) / (1 - wu), (fv - wv) / (1 - wv)
    su, sv = (inner_u >= 0.5).astype(np.int64), (inner_v >= 0.5).astype(np.int64)
    lot = (cu * 2 + su) * 2 * k + cv_ * 2 + sv
    n_lots = 4 * k * k
    present = rng.random(n_lots) < 0.8
    lo_u, hi_u = rng.uniform(0.05, 0.2, n_lots), rng.uniform(0.8, 0.95, n_lots)
    lo_v, hi_v = rng.uniform(0.05, 0.2, n_lots), rng.uniform(0.8, 0.95, n_lots)
    roof = ROOFS[rng.integers(len(ROOFS), size=n_lots)] + rng.uniform(-0.06, 0.06, (n_lots, 3))
    lu, lv = inner_u * 2 - su, inner_v * 2 - sv
    park = ~road & park_cell[cu, cv_]
    bld = ~road & ~park & present[lot]
    bld &= (lu > lo_u[lot]) & (lu < hi_u[lot]) & (lv > lo_v[lot]) & (lv < hi_v[lot])
    bridge = water & major
    road &= ~water | bridge
    park &= ~water
    bld &= ~water

    lab = cv.labels(LAND)
    lab[park], lab[water], lab[bld], lab[road], lab[major & road] = (
        PARK,
        WATER,
        BUILDING,
        ROAD,
        MAJOR,
    )

    # -- aerial photo ------------------------------------------------------------------------
    grain = value_noise(rng, n, max(8, size // 2))
    canopy = fbm(rng, n, max(4, size // 8), 3)
    ground = jitter(rng, (0.45, 0.47, 0.36), 0.05)
    img = (ground * (0.75 + 0.5 * grain)[..., None]).astype(np.float32)
    trees = (canopy > 0.55) & ~road & ~bld
    img[trees] = jitter(rng, (0.18, 0.3, 0.14), 0.03) * (0.6 + 0.8 * canopy[trees])[:, None]
    img[park] = jitter(rng, (0.25, 0.42, 0.18), 0.04) * (0.55 + 0.9 * canopy[park])[:, None]
    img[water] = jitter(rng, (0.12, 0.22, 0.28), 0.03) * (0.85 + 0.3 * grain[water])[:, None]
    asphalt = jitter(rng, (0.42, 0.42, 0.43), 0.04)
    img[road] = asphalt * (0.85 + 0.3 * grain[road])[:, None]
    centre = road & major & ((np.abs(fu - wu / 2) < 0.004 / cell) | (np.abs(fv - wv / 2) < 0.004 / cell))
    img[centre] = (0.85, 0.8, 0.55)
    cars = road & (value_noise(rng, n, max(8, size)) > 0.82)
    img[cars] = rng.uniform(0.1, 0.9, 3)
    # shadows: a building mask shifted towards the shadow side darkens the ground
    sh = max(1, int(round(0.012 * n)))
    shadow = np.zeros_like(bld)
    shadow[sh:, sh:] = bld[:-sh, :-sh]
    img[shadow & ~bld] *= 0.5
    rshade = np.where(lu < (lo_u[lot] + hi_u[lot]) / 2, 1.0, 0.82)  # two roof slopes
    img[bld] = roof[lot[bld]] * rshade[bld][:, None]
    img = img * rng.uniform(0.85, 1.1)
    aerial = cv.downsample(np.clip(img, 0, 1))
    return aerial, MAP_PALETTE[cv.point_sample(lab)]
