"""Synthetic faces: the offline stand-in for CelebA-HQ (paper Sec. 4.1, Table 1).

Multi-scale structure on purpose, because the paper's attention analysis (Sec. 4.5) says large atrous
rates attend to background and hair while small rates attend to contours, eyes and glasses:
large scale  - background gradient and blotches, hair mass, shoulders;
middle scale - face contour with a narrowing chin, ears, fringe, neck;
small scale  - eyes (sclera, iris, pupil, highlight, lid), brows, nose shadow, lips, optional glasses.
Pose (roll, yaw, pitch, position, scale), colours (skin, hair, eyes, clothes, background) and lighting
(a directional light on ellipsoid normals, global tint and brightness) are random per image.
"""

from __future__ import annotations

import numpy as np

from spap_lib.data.synth.draw import Canvas, ellipse, jitter, rect, rotate, segment, value_noise

SKIN = np.array(
    [
        (0.96, 0.80, 0.69),
        (0.90, 0.71, 0.58),
        (0.80, 0.60, 0.46),
        (0.63, 0.45, 0.33),
        (0.45, 0.31, 0.22),
    ],
    np.float32,
)
HAIR = np.array(
    [
        (0.08, 0.06, 0.05),
        (0.30, 0.19, 0.10),
        (0.55, 0.38, 0.20),
        (0.85, 0.70, 0.42),
        (0.55, 0.22, 0.10),
        (0.70, 0.70, 0.70),
    ],
    np.float32,
)
IRIS = np.array([(0.35, 0.22, 0.12), (0.25, 0.45, 0.70), (0.30, 0.50, 0.30), (0.45, 0.45, 0.50)], np.float32)


def render(rng: np.random.Generator, size: int, ss: int = 2) -> np.ndarray:
    """One face photo, (size, size, 3) uint8."""
    cv = Canvas(size, ss)
    x, y, n = cv.x, cv.y, cv.n

    # -- large scale: background --------------------------------------------------------------
    c1, c2 = (
        rng.uniform(0.1, 0.95, 3).astype(np.float32),
        rng.uniform(0.1, 0.95, 3).astype(np.float32),
    )
    g = np.clip(y + rng.uniform(-0.3, 0.3) * (x - 0.5), 0, 1)[..., None]
    img = (c1 * (1 - g) + c2 * g).astype(np.float32)
    img *= (0.75 + 0.5 * value_noise(rng, n, int(rng.integers(2, 5))))[..., None]

    # -- pose and lighting ---------------------------------------------------------------------
    scale = rng.uniform(0.85, 1.05)
    fw, fh = 0.21 * scale, 0.28 * scale  # face half-width / half-height
    cx, cy = 0.5 + rng.uniform(-0.05, 0.05), 0.48 + rng.uniform(-0.04, 0.04)
    roll, yaw, pitch = rng.uniform(-0.25, 0.25), rng.uniform(-0.6, 0.6), rng.uniform(-0.3, 0.3)
    u, v = rotate(x, y, cx, cy, roll)
    light = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.6, 0.3), 1.0], np.float32)
    light /= np.linalg.norm(light)
    ambient = rng.uniform(0.45, 0.65)

    def shade(du, dv, rx, ry):
        nx, ny = du / rx, dv / ry
        nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0, 1))
        lam = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0, 1)
        return ambient + (1.05 - ambient) * lam

    skin = jitter(rng, SKIN[rng.integers(len(SKIN))], 0.05)
    hair = jitter(rng, HAIR[rng.integers(len(HAIR))], 0.05)
    cloth = rng.uniform(0.05, 0.9, 3)
    off = yaw * fw * 0.35  # features move towards the turned side
    hair_noise = value_noise(rng, n, max(4, size // 4))

    # -- shoulders and neck --------------------------------------------------------------------
    body = ellipse(u, v, 0, fh * 1.95, fw * 2.3, fh * 0.85)
    img[body] = cloth * shade(u, v - fh * 1.95, fw * 2.3, fh * 0.85)[body][:, None]
    neck = rect(u, v, -fw * 0.42 + off * 0.3, 0, fw * 0.42 + off * 0.3, fh * 1.35)
    img[neck] = skin * 0.8 * shade(u - off * 0.3, v * 0 + 0.1, fw * 0.6, fh)[neck][:, None]

    # -- hair mass behind the head -------------------------------------------------------------
    long_hair = rng.random() < 0.5
    hb = ellipse(u, v, -off * 0.2, -fh * 0.12, fw * rng.uniform(1.2, 1.45), fh * rng.uniform(1.12, 1.3))
    if long_hair:
        hb |= rect(u, v, -fw * 1.25, -fh * 0.1, fw * 1.25, fh * rng.uniform(1.0, 1.6))
    hair_shade = shade(u + off * 0.2, v + fh * 0.12, fw * 1.5, fh * 1.4) * (0.8 + 0.4 * hair_noise)
    img[hb] = hair * hair_shade[hb][:, None]

    # -- ears and face contour (narrowing towards the chin) ------------------------------------
    for side in (-1, 1):
        ear = ellipse(u, v, side * fw * 0.97 + off * 0.4, fh * 0.02, fw * 0.16, fh * 0.2)
        img[ear] = skin * 0.85
    du = u - off * 0.4
    width = fw * (1 - 0.22 * np.clip(v / fh, 0, 1) ** 2)
    face = (du / width) ** 2 + (v / fh) ** 2 <= 1
    sh = shade(du, v, fw, fh)
    img[face] = skin * sh[face][:, None]

    # -- fringe: hair covering the forehead ----------------------------------------------------
    hairline = -fh * rng.uniform(0.35, 0.6) + fh * 0.12 * np.cos(u / fw * rng.uniform(2, 6))
    fringe = face & (v < hairline) | (hb & (v < -fh * 0.55) & (np.abs(u) < fw * 1.1))
    img[fringe] = hair * hair_shade[fringe][:, None]

    # -- eyes and brows: the small features only touch a window around the inner face ----------
    full = img
    r = np.hypot(fw * 1.05, fh * 0.75) + abs(off)
    r0, r1 = max(0, int((cy - r) * n)), min(n, int((cy + r) * n) + 1)
    c0, c1 = max(0, int((cx - r) * n)), min(n, int((cx + r) * n) + 1)
    u, v, img, face, sh = (a[r0:r1, c0:c1] for a in (u, v, img, face, sh))
    ey = -fh * 0.05 + pitch * fh * 0.15
    sep = fw * rng.uniform(0.38, 0.48)
    iris = jitter(rng, IRIS[rng.integers(len(IRIS))], 0.05)
    erx, ery = fw * rng.uniform(0.17, 0.22), fh * rng.uniform(0.06, 0.09)
    glasses, sunglasses = rng.random() < 0.35, rng.random() < 0.2
    for side in (-1, 1):
        ex = side * sep + off
        squash = 1 - 0.35 * max(0.0, side * yaw)  # the far eye looks narrower
        lid = ellipse(u, v, ex, ey, erx * squash * 1.12, ery * 1.35)
        img[lid] = skin * 0.45
        sclera = ellipse(u, v, ex, ey, erx * squash, ery)
        img[sclera] = (0.93, 0.92, 0.90)
        ir = sclera & ellipse(u, v, ex + off * 0.25, ey, ery * 0.95, ery * 0.95)
        img[ir] = iris
        img[sclera & ellipse(u, v, ex + off * 0.25, ey, ery * 0.45, ery * 0.45)] = 0.03
        img[ellipse(u, v, ex + off * 0.25 + ery * 0.3, ey - ery * 0.3, ery * 0.2, ery * 0.2)] = 0.97
        brow = ellipse(
            u,
            v,
            ex,
            ey - fh * rng.uniform(0.17, 0.24),
            erx * 1.25 * squash,
            fh * 0.035,
            side * rng.uniform(-0.05, 0.25),
        )
        img[brow] = hair * 0.7
    if glasses:
        frame = np.array([0.05, 0.05, 0.05]) if rng.random() < 0.6 else rng.uniform(0.2, 0.8, 3)
        for side in (-1, 1):
            gx, gy = side * sep + off, ey + fh * 0.02
            outer = ellipse(u, v, gx, gy, erx * 1.6, ery * 2.6)
            inner = ellipse(u, v, gx, gy, erx * 1.45, ery * 2.35)
            if sunglasses:
                img[inner] = img[inner] * 0.25
            img[outer & ~inner] = frame
            arm = segment(
                u,
                v,
                gx + side * erx * 1.6,
                gy,
                side * fw * 0.98 + off * 0.4,
                gy - fh * 0.05,
                fh * 0.03,
            )
            img[arm & ~face | arm & (np.abs(u - off) > fw * 0.8)] = frame
        bridge = segment(u, v, off - sep + erx * 1.6, ey, off + sep - erx * 1.6, ey, fh * 0.035)
        img[bridge] = frame

    # -- nose and mouth ------------------------------------------------------------------------
    ny = fh * 0.3 + pitch * fh * 0.12
    nose = ellipse(u, v, off * 1.2 + light[0] * -fw * 0.05, ny, fw * 0.12, fh * 0.07)
    img[nose] = img[nose] * 0.82
    for side in (-1, 1):
        img[ellipse(u, v, off * 1.2 + side * fw * 0.07, ny + fh * 0.03, fw * 0.035, fh * 0.02)] *= 0.45
    my = fh * 0.58 + pitch * fh * 0.1
    mw = fw * rng.uniform(0.3, 0.45)
    lip = jitter(rng, skin * np.array([1.0, 0.62, 0.62]) * 0.9, 0.04)
    lips = ellipse(u, v, off, my, mw, fh * rng.uniform(0.06, 0.1))
    img[lips] = lip * sh[lips][:, None]
    smile = rng.uniform(-0.5, 2.5) / fw
    line = (np.abs(v - (my + smile * (u - off) ** 2 * 0.5 * -1 - fh * 0.01)) < fh * 0.018) & (
        np.abs(u - off) < mw * 0.95
    )
    if rng.random() < 0.3:  # open mouth with teeth
        inner = ellipse(u, v, off, my, mw * 0.7, fh * 0.045)
        img[inner] = (0.92, 0.9, 0.85)
        img[inner & (v > my)] = (0.25, 0.05, 0.05)
    else:
        img[line] = lip * 0.35

    # -- global lighting -----------------------------------------------------------------------
    tint = rng.uniform(0.92, 1.08, 3) * rng.uniform(0.8, 1.15)
    vignette = 1 - 0.25 * ((x - 0.5) ** 2 + (y - 0.5) ** 2)
    img = full * tint.astype(np.float32) * vignette[..., None]
    return cv.downsample(np.clip(img, 0, 1))
