import numpy as np
import pytest
from cleanfid.fid import kernel_distance as cleanfid_kernel_distance

from spap_lib.errors import ConfigError
from spap_lib.metrics import (
    frechet_distance,
    frechet_distance_features,
    frechet_distance_to,
    gaussian_stats,
    kernel_distance,
)


def test_diagonal_gaussians_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.5])
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
    # d^2 = |mu1-mu2|^2 + sum (sqrt v1 - sqrt v2)^2 for commuting (diagonal) covariances
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    got = frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2))
    assert got == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(5.25 + 4 + 1 + 0.25)


def test_full_covariance_rotation_invariant():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    v1, v2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 0.5])
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    s1, s2 = q @ np.diag(v1) @ q.T, q @ np.diag(v2) @ q.T
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-7)


def test_set_against_itself_is_zero_and_shift_is_seen():
    feats = np.random.default_rng(0).normal(size=(500, 16))
    assert abs(frechet_distance_features(feats, feats)) < 1e-6
    shifted = feats + 0.5
    assert frechet_distance_features(feats, shifted) == pytest.approx(16 * 0.25, rel=1e-6)
    other = np.random.default_rng(1).normal(size=(500, 16))  # same distribution, new draw
    same = kernel_distance(feats, other, num_subsets=20, max_subset_size=200)
    moved = kernel_distance(feats, shifted, num_subsets=20, max_subset_size=200)
    assert abs(same) < 0.05 * moved


def test_kernel_distance_equals_cleanfid_with_same_seed():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(120, 8)), rng.normal(0.3, 1.0, size=(90, 8))
    ours = kernel_distance(a, b, num_subsets=10, max_subset_size=50, seed=7)
    np.random.seed(7)
    theirs = cleanfid_kernel_distance(a, b, num_subsets=10, max_subset_size=50)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert ours == kernel_distance(a, b, num_subsets=10, max_subset_size=50, seed=7)
    assert ours > 0


def test_gaussian_stats_and_errors():
    feats = np.random.default_rng(0).normal(size=(30, 3))
    mu, sigma = gaussian_stats(feats)
    np.testing.assert_allclose(sigma, np.cov(feats, rowvar=False))
    with pytest.raises(ConfigError, match="same backbone"):
        frechet_distance(mu, sigma, np.zeros(4), np.eye(4))
    with pytest.raises(ConfigError):
        gaussian_stats(feats[:1])


@pytest.mark.parametrize(("n", "d"), [(20, 64), (64, 64), (150, 256)])
def test_few_images_against_statistics_equal_cleanfid_sqrtm(n, d):
    rng = np.random.default_rng(n)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    ref = rng.normal(size=(3 * d, d)) @ mix
    gen = rng.normal(0.2, 1.3, size=(n, d)) @ mix  # N <= D: the generated covariance is singular
    mu, sigma = gaussian_stats(ref)
    fast = frechet_distance_to(gen, mu, sigma)
    assert fast == pytest.approx(frechet_distance(*gaussian_stats(gen), mu, sigma), rel=1e-6)
    assert frechet_distance_features(gen, ref) == fast  # the smaller set takes the eigenvalue route
    assert fast > 0


def test_many_images_take_the_sqrtm_route_and_dimensions_are_checked():
    rng = np.random.default_rng(3)
    feats, ref = rng.normal(size=(40, 8)), rng.normal(size=(60, 8))
    mu, sigma = gaussian_stats(ref)
    assert frechet_distance_to(feats, mu, sigma) == frechet_distance(*gaussian_stats(feats), mu, sigma)
    assert abs(frechet_distance_to(feats[:5], *gaussian_stats(feats[:5]))) < 1e-6  # a set against itself
    with pytest.raises(ConfigError, match="same backbone"):
        frechet_distance_to(feats[:5], np.zeros(4), np.eye(4))
