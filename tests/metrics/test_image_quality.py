import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter
from skimage.metrics import structural_similarity

from spap_lib.errors import ConfigError
from spap_lib.metrics import image_quality, psnr, ssim, to_uint8


def _pair(seed=0, shape=(48, 40, 3)):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, size=shape, dtype=np.uint8)
    noise = rng.normal(0, 20, size=shape)
    b = np.clip(a + noise, 0, 255).astype(np.uint8)
    return a, b


def test_psnr_from_known_mse():
    a = np.full((16, 16, 3), 100, np.uint8)
    b = a.copy()
    b[..., 0] += 10  # squared error 100 on one channel -> MSE = 100 / 3
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / (100 / 3)), abs=1e-9)
    assert psnr(a, a) == float("inf")


def _ssim_by_hand(a, b):
    """Wang et al. 2004 with an 11x11 Gaussian (sigma 1.5), population statistics, mean over channels."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    for ch in range(3):
        x, y = a[..., ch].astype(np.float64), b[..., ch].astype(np.float64)

        def f(z):
            return gaussian_filter(z, 1.5, truncate=3.5, mode="reflect")

        mx, my = f(x), f(y)
        vx, vy, cxy = f(x * x) - mx**2, f(y * y) - my**2, f(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
        vals.append(s[5:-5, 5:-5].mean())
    return float(np.mean(vals))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ssim_matches_scikit_image_and_the_definition(seed):
    a, b = _pair(seed)
    ref = structural_similarity(
        a,
        b,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
        channel_axis=-1,
    )
    assert abs(ssim(a, b) - ref) < 1e-4
    assert abs(ssim(a, b) - _ssim_by_hand(a, b)) < 1e-4
    assert ssim(a, a) == pytest.approx(1.0)


def test_data_range_is_fixed_not_inferred():
    a = np.full((32, 32, 3), 10, np.uint8)
    b = np.full((32, 32, 3), 12, np.uint8)
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / 4))


def test_image_quality_means_and_inf():
    a, b = _pair(0)
    res = image_quality([(a, b), (a, a)])
    assert res["n"] == 2 and res["psnr_inf"] == 1
    assert res["psnr"] == pytest.approx(psnr(a, b))
    assert res["ssim"] == pytest.approx((ssim(a, b) + 1.0) / 2)


def test_bad_inputs_raise_clear_errors():
    a, b = _pair(0)
    with pytest.raises(ConfigError, match="uint8"):
        psnr(a.astype(np.float32), b)
    with pytest.raises(ConfigError, match="same shape"):
        ssim(a, b[:-1])
    with pytest.raises(ConfigError, match="no image pairs"):
        image_quality([])


def test_to_uint8_round_trip():
    img = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    x = torch.from_numpy(img).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    np.testing.assert_array_equal(to_uint8(x), img)
    np.testing.assert_array_equal(to_uint8(x[0]), img[0])
