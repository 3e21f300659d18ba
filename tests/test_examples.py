"""The README's first command (the digits-critic example) works."""

import numpy as np
import pytest

from keras_lipschitz.examples import digits_critic


def test_digits_critic_trains_and_respects_the_lipschitz_bound(capsys):
    # main() exits non-zero when the empirical Lipschitz constant exceeds 1.
    assert digits_critic.main(["--epochs", "2", "--batch_size", "128"]) == 0
    output = capsys.readouterr().out
    assert "empirical Lipschitz constant of the critic" in output
    slope = float(output.split("empirical Lipschitz constant of the critic: ")[1].split()[0])
    assert 0.0 < slope <= 1.0 + 1e-3


def test_digits_fakes_are_permutations_of_the_real_pixels():
    real, fake = digits_critic.digits_and_fakes(seed=0)
    assert real.shape == fake.shape == (1797, 8, 8, 1)
    flat_real, flat_fake = real.reshape(len(real), -1), fake.reshape(len(fake), -1)
    assert (np.sort(flat_real, axis=1) == np.sort(flat_fake, axis=1)).all()
    assert (real != fake).any()


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--batch_size", "-1"]])
def test_bad_arguments_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        digits_critic.main(argv)
    assert exit_info.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err
