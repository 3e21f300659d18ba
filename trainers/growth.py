"""PGGAN's growth schedule: which resolution trains, and how far it has faded in, after n images."""

from keras_lipschitz import _validation


class GrowthSchedule:
    """Phases in order of images seen: level 0 stable, then for each later level a fade-in and a stable phase.

    Level `k` trains `4 * 2**k` pixel images. During a level's fade-in,
    `alpha = (images seen - start of the fade-in) / fade_images` rises
    linearly from 0 to 1; in a stable phase alpha is 1. The last level stays
    stable for as long as training goes on.

    Args:
        levels: resolutions from 4x4 (e.g. 4 for 32x32: 4, 8, 16, 32).
        fade_images: real images shown during each fade-in (600k in the
            paper).
        stable_images: real images shown in each stable phase before the next
            level (600k in the paper).

    Example:

    ```python
    from keras_lipschitz.trainers import GrowthSchedule

    schedule = GrowthSchedule(levels=3, fade_images=1000, stable_images=2000)
    print(schedule.phase_at(2500))  # (1, True, 0.5): 8x8 half faded in
    print(schedule.phase_at(10**6))  # (2, False, 1.0)
    ```

    Reference:
        Karras et al., ICLR 2018, sec. 3 and Appendix A.1 (800k images per
        phase for CelebA-HQ and LSUN at 1024, 600k in the released code).
    """

    def __init__(self, levels, fade_images, stable_images):
        self.levels = _validation.check_positive_integer("levels", levels, owner="GrowthSchedule")
        self.fade_images = _validation.check_positive_integer("fade_images", fade_images, owner="GrowthSchedule")
        self.stable_images = _validation.check_positive_integer("stable_images", stable_images, owner="GrowthSchedule")

    def phases(self):
        """`[(level, fading, first image), ...]` in order; the last phase is open-ended."""
        phases, start = [(0, False, 0)], self.stable_images
        for level in range(1, self.levels):
            phases += [(level, True, start), (level, False, start + self.fade_images)]
            start += self.fade_images + self.stable_images
        return phases

    def phase_of(self, images):
        """`(level, fading, first image)` of the phase the step after `images` real images belongs to."""
        if images < 0:
            raise ValueError(f"images must be >= 0, got {images}.")
        return [phase for phase in self.phases() if phase[2] <= images][-1]

    def phase_at(self, images):
        """`(level, fading, alpha)` for the step that starts after `images` real images."""
        level, fading, start = self.phase_of(images)
        alpha = (images - start) / self.fade_images if fading else 1.0
        return level, fading, alpha

    @property
    def total_images(self):
        """Images until the last level is stable."""
        return self.phases()[-1][2]

    def get_config(self):
        return {"levels": self.levels, "fade_images": self.fade_images, "stable_images": self.stable_images}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"GrowthSchedule(levels={self.levels}, fade_images={self.fade_images}, "
                f"stable_images={self.stable_images})")
