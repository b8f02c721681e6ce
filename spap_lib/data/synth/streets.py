"""Synthetic street scenes: the offline stand-in for Cityscapes labels<->photo (paper Sec. 4.1, Table 2).

A one-point perspective road scene: sky, road, sidewalks, optional terrain verges, building blocks of
random height (or gaps, or tree rows) converging to a vanishing point, street trees, poles carrying
traffic signs or traffic lights, pedestrians, cars and buses drawn far-to-near. Classes used (Cityscapes
trainIds): road, sidewalk, building, pole, traffic light, traffic sign, vegetation, terrain, sky, person,
car, bus (12 of the 19; wall, fence, rider, truck, train, motorcycle, bicycle are absent).
The photo carries what the label map does not: lane markings, paving joints, windows, sun-side shading,
cloud and foliage texture, car windows, lights, plates and shadows, clothing colours.
"""

from __future__ import annotations

import numpy as np

from spap_lib.data.palettes import CITYSCAPES_PALETTE, labels_to_colors
from spap_lib.data.synth.draw import Canvas, ellipse, fbm, jitter, polygon, rect, value_noise

ROAD, SIDEWALK, BUILDING, POLE, LIGHT, SIGN, VEG, TERRAIN, SKY, PERSON, CAR, BUS = (
    0,
    1,
    2,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    13,
    15,
)
CLASSES_USED = (ROAD, SIDEWALK, BUILDING, POLE, LIGHT, SIGN, VEG, TERRAIN, SKY, PERSON, CAR, BUS)


def render(rng: np.random.Generator, size: int, ss: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """One (photo, label-colour) pair, both (size, size, 3) uint8; labels in the Cityscapes palette."""
    cv = Canvas(size, ss)
    x, y, n = cv.x, cv.y, cv.n
    yh, vx = rng.uniform(0.36, 0.5), rng.uniform(0.38, 0.62)
    dx = x - vx
    d, g = np.abs(dx), y - yh
    right = dx > 0
    k_road = rng.uniform(0.8, 1.3)
    k_side = k_road * rng.uniform(1.3, 1.6)
    k_terr = k_side * (rng.uniform(1.15, 1.4) if rng.random() < 0.4 else 1.0)
    sun = rng.choice([-1.0, 1.0])  # which side's facades face the sun
    lab = cv.labels(SKY)

    # -- sky ----------------------------------------------------------------------------------
    top, hor = jitter(rng, (0.30, 0.50, 0.82), 0.08), jitter(rng, (0.78, 0.84, 0.90), 0.05)
    t = np.clip(y / yh, 0, 1)[..., None]
    img = (top * (1 - t) + hor * t).astype(np.float32)
    cloud = np.clip((fbm(rng, n, 3, 3) - rng.uniform(0.45, 0.65)) * 4, 0, 1)[..., None]
    img = img * (1 - cloud) + 0.95 * cloud

    # -- ground -------------------------------------------------------------------------------
    ground = g > 0
    road = ground & (d < g * k_road)
    side = ground & ~road & (d < g * k_side)
    terr = ground & ~road & ~side & (d < g * k_terr)
    gz = np.maximum(g, 1e-3)
    grain = value_noise(rng, n, max(8, size // 2))
    asphalt = jitter(rng, (0.32, 0.31, 0.33), 0.04)
    img[road] = asphalt * (0.85 + 0.3 * grain[road])[:, None] * (0.8 + 0.4 * g[road])[:, None]
    lane = road & (d < gz * 0.012 * k_road) & (np.sin(1.5 / gz) > 0.2)
    img[lane] = (0.9, 0.9, 0.85)
    edge = road & (np.abs(d - g * k_road * 0.93) < gz * 0.01)
    img[edge] = (0.85, 0.85, 0.82)
    paving = jitter(rng, (0.62, 0.60, 0.58), 0.05)
    joints = (np.abs(np.sin(0.9 / gz)) < 0.15) | (np.abs(np.sin(d / gz * 25)) < 0.12)
    img[side] = paving * np.where(joints, 0.8, 1.0)[side][:, None]
    grass = jitter(rng, (0.30, 0.48, 0.20), 0.05)
    img[terr] = grass * (0.7 + 0.5 * grain[terr])[:, None]
    lab[road], lab[side], lab[terr] = ROAD, SIDEWALK, TERRAIN

    # -- building blocks (or gaps, or tree rows) along both sides -----------------------------
    n_seg = 12
    ratio = rng.uniform(1.25, 1.6)
    d0 = rng.uniform(0.01, 0.03)
    seg = np.clip(np.floor(np.log(np.maximum(d, 1e-4) / d0) / np.log(ratio)), 0, n_seg - 1)
    seg = seg.astype(np.int64) + n_seg * right
    kind = rng.choice(3, size=2 * n_seg, p=[0.72, 0.13, 0.15])  # 0 building, 1 gap, 2 trees
    height = rng.uniform(0.6, 2.6, 2 * n_seg).astype(np.float32)
    colours = np.stack([jitter(rng, c, 0.06) for c in rng.uniform(0.3, 0.8, (2 * n_seg, 3))])
    colours = (colours * 0.6 + colours.mean(1, keepdims=True) * 0.4).astype(np.float32)
    base = yh + d / k_terr
    tall = d * height[seg]
    fac = (y < base) & ~ground | (ground & (d >= g * k_terr))
    rough = 0.15 * d * (value_noise(rng, n, max(8, size // 4)) - 0.5)
    bld = fac & (kind[seg] == 0) & (y > yh - tall)
    trees = fac & (kind[seg] == 2) & (y > yh - tall * 0.6 + rough * 4)
    hworld = (base - y) / np.maximum(d, 1e-3)
    cols = 1 / np.maximum(d, 1e-3)
    win = (np.sin(cols * rng.uniform(4, 7)) > 0.0) & (np.sin(hworld * rng.uniform(10, 16)) > 0.1)
    win &= hworld > 0.25
    lit = np.where(right == (sun > 0), 1.0, 0.72)
    shade = (lit * (0.9 + 0.2 * grain)).astype(np.float32)
    img[bld] = colours[seg[bld]] * shade[bld][:, None]
    wmask = bld & win
    img[wmask] = jitter(rng, (0.16, 0.2, 0.26), 0.05) * (0.7 + 0.8 * grain[wmask])[:, None]
    leaf = (fbm(rng, n, max(4, size // 8), 3)).astype(np.float32)
    foliage = jitter(rng, (0.22, 0.38, 0.12), 0.05)
    img[trees] = foliage * (0.6 + 0.8 * leaf[trees])[:, None]
    lab[bld], lab[trees] = BUILDING, VEG

    # -- objects standing on the ground, far to near ------------------------------------------
    objs = []
    for _ in range(rng.integers(0, 4)):
        objs.append(("tree", rng.uniform(0.05, 0.6), rng.choice([-1, 1])))
    for _ in range(rng.integers(1, 4)):
        objs.append(("pole", rng.uniform(0.05, 0.6), rng.choice([-1, 1])))
    for _ in range(rng.integers(0, 4)):
        objs.append(("person", rng.uniform(0.05, 0.6), rng.choice([-1, 1])))
    for _ in range(rng.integers(1, 5)):
        objs.append(("car", rng.uniform(0.03, 0.6), rng.choice([-1, 1])))
    objs.sort(key=lambda o: o[1])
    full_img, full_lab, cx, cy, road_full, leaf_full = img, lab, x, y, road, leaf
    for what, gg, sd in objs:
        yb = yh + gg
        m = k_road * gg  # image units per ~5 m at this depth
        # every object fits in [xo - m, xo + m] x [yb - 1.3 m, yb + 0.05 m] around its anchor xo:
        # draw it in that window only (views, so writes land in the full image)
        xo = vx + sd * gg * (k_road + k_side) / 2 if what == "tree" else vx + sd * gg * k_side
        w = cv.box(xo - m * 2, yb - m * 1.3, xo + m * 2, yb + m * 0.1)
        x, y, img, lab, road, leaf = (a[w] for a in (cx, cy, full_img, full_lab, road_full, leaf_full))
        if what == "tree":
            xt = vx + sd * gg * (k_road + k_side) / 2
            trunk = rect(x, y, xt - m * 0.025, yb - m * 0.9, xt + m * 0.025, yb)
            crown = ellipse(x, y, xt, yb - m * 1.1, m * 0.35, m * 0.4)
            img[trunk] = (0.3, 0.22, 0.15)
            img[crown] = foliage * (0.5 + 0.9 * leaf[crown])[:, None]
            lab[trunk | crown] = VEG
        elif what == "pole":
            xp = vx + sd * gg * k_road * 1.08
            pole = rect(x, y, xp - m * 0.012, yb - m * 0.9, xp + m * 0.012, yb)
            img[pole], lab[pole] = (0.45, 0.46, 0.48), POLE
            if rng.random() < 0.55:
                if rng.random() < 0.5:
                    sign = ellipse(x, y, xp, yb - m * 0.9, m * 0.07, m * 0.07)
                else:
                    sign = rect(x, y, xp - m * 0.07, yb - m * 1.0, xp + m * 0.07, yb - m * 0.85)
                img[sign] = jitter(rng, [(0.8, 0.1, 0.1), (0.1, 0.3, 0.8), (0.9, 0.8, 0.1)][rng.integers(3)])
                img[sign & (np.abs(x - xp) < m * 0.03)] = 0.95
                lab[sign] = SIGN
            else:
                box = rect(x, y, xp - m * 0.035, yb - m * 1.05, xp + m * 0.035, yb - m * 0.85)
                img[box], lab[box] = 0.12, LIGHT
                on = rng.integers(3)
                lamp = ellipse(x, y, xp, yb - m * (1.0 - 0.065 * on), m * 0.022, m * 0.022)
                img[lamp] = [(1, 0.2, 0.1), (1, 0.8, 0.1), (0.2, 1, 0.3)][on]
        elif what == "person":
            xq = vx + sd * gg * rng.uniform(k_road * 1.1, k_side * 0.95)
            h = m * rng.uniform(0.3, 0.38)
            body = ellipse(x, y, xq, yb - h * 0.62, h * 0.14, h * 0.25)
            head = ellipse(x, y, xq, yb - h * 0.92, h * 0.08, h * 0.08)
            legs = rect(x, y, xq - h * 0.1, yb - h * 0.45, xq - h * 0.02, yb) | rect(
                x, y, xq + h * 0.02, yb - h * 0.45, xq + h * 0.1, yb
            )
            img[legs] = jitter(rng, (0.15, 0.15, 0.25), 0.1)
            img[body] = rng.uniform(0.05, 0.9, 3)
            img[head] = jitter(rng, (0.75, 0.58, 0.45), 0.15)
            lab[body | head | legs] = PERSON
        else:
            bus = rng.random() < 0.15
            xc = vx + sd * gg * k_road * rng.uniform(0.35, 0.6)
            w = m * (0.55 if bus else 0.44) / 2
            h = m * (0.7 if bus else 0.34)
            shadow = ellipse(x, y, xc, yb, w * 1.3, m * 0.03) & road
            img[shadow] *= 0.4
            colour = rng.uniform(0.05, 0.95, 3).astype(np.float32)
            if bus:
                shape = rect(x, y, xc - w, yb - h, xc + w, yb - m * 0.02)
                glass = rect(x, y, xc - w * 0.85, yb - h * 0.9, xc + w * 0.85, yb - h * 0.55)
            else:
                lower = rect(x, y, xc - w, yb - h * 0.55, xc + w, yb - m * 0.02)
                cab = [
                    (xc - w * 0.85, yb - h * 0.55),
                    (xc - w * 0.62, yb - h),
                    (xc + w * 0.62, yb - h),
                    (xc + w * 0.85, yb - h * 0.55),
                ]
                shape = lower | polygon(x, y, cab)
                glass = polygon(x, y, [(a + (xc - a) * 0.12, b + h * 0.06) for a, b in cab])
            wheels = rect(x, y, xc - w * 0.92, yb - m * 0.06, xc - w * 0.55, yb) | rect(
                x, y, xc + w * 0.55, yb - m * 0.06, xc + w * 0.92, yb
            )
            img[shape] = colour * (0.75 + 0.35 * (1 - (yb - y[shape]) / h))[:, None]
            img[glass & shape] = (0.12, 0.15, 0.2)
            lights = shape & (np.abs(y - (yb - h * 0.4)) < h * 0.06) & (np.abs(x - xc) > w * 0.7)
            img[lights] = (0.9, 0.1, 0.1)
            plate = rect(x, y, xc - w * 0.18, yb - h * 0.3, xc + w * 0.18, yb - h * 0.18) & shape
            img[plate] = 0.92
            img[wheels] = 0.05
            lab[shape | wheels] = BUS if bus else CAR

    img, lab = full_img, full_lab
    img = img * rng.uniform(0.85, 1.1) * jitter(rng, (1, 1, 1), 0.04)
    photo = cv.downsample(np.clip(img, 0, 1))
    return photo, labels_to_colors(cv.point_sample(lab), CITYSCAPES_PALETTE)
