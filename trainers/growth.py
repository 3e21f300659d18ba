"""PGGAN's growth schedule: which resolution trains, and how far it has faded in, after n images."""

from keras_lipschitz import _validation


class GrowthSchedule:
    """Phases in order of images seen: level 0 stable, then for each later level a fade-in and a stable phase.

    Level `k` trains `4 * 2**k` pixel images. During a level's fade-in,
    `alpha = (images seen - start of the fade-in) / fade_images` rises
    linearly from 0 to 1; in a stable phase alpha is 1. The last level stays
    stable for as long as training goes on.

    A step shows the critic a batch of real images: the batch `fit` is given,
    or at level `k` `batch_sizes[k]` of them (the paper's minibatch size per
    resolution, smaller where the images are large). `phases_in_steps` turns
    the phases into steps: a phase starts at the first step after its first
    image.

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
    # 100 images per step at 4x4, 50 at 8x8, 25 at 16x16: 8x8 fades in from step 20 to step 40.
    by_level = GrowthSchedule(levels=3, fade_images=1000, stable_images=2000, batch_sizes=(100, 50, 25))
    print(by_level.phase_at_step(30))  # (1, True, 20, 2000, 2000): 8x8 fading since step 20, image 2000
    ```

    Reference:
        Karras et al., ICLR 2018, sec. 3 and Appendix A.1 (800k images per
        phase for CelebA-HQ and LSUN at 1024, 600k in the released code;
        minibatch 16 up to 128x128, then 14, 6 and 3).
    """

    def __init__(self, levels, fade_images, stable_images, batch_sizes=None):
        self.levels = _validation.check_positive_integer("levels", levels, owner="GrowthSchedule")
        self.fade_images = _validation.check_positive_integer("fade_images", fade_images, owner="GrowthSchedule")
        self.stable_images = _validation.check_positive_integer("stable_images", stable_images, owner="GrowthSchedule")
        self.batch_sizes = None if batch_sizes is None else _level_batch_sizes(batch_sizes, self.levels)

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

    def batch_size(self, level, batch):
        """Real images per step at `level` when `fit` is given batches of `batch`."""
        return self.batch_sizes[level] if self.batch_sizes else batch

    def check_batch(self, batch, d_steps=1):
        """Raises unless every level's batch divides `batch` (what `fit` is given) and splits into `d_steps`."""
        for level in range(self.levels):
            size = self.batch_size(level, batch)
            if batch % size or size % d_steps:
                raise ValueError(f"Level {level} ({4 * 2**level}x{4 * 2**level}) takes {size} images per step from "
                                 f"batches of {batch}: give a batch that every level's batch ({self.batch_sizes}) "
                                 f"divides, and level batches that d_steps={d_steps} divides.")

    def phases_in_steps(self, batch):
        """`[(level, fading, first step, images seen before it, first image), ...]` when `fit` gets `batch`.

        Each phase runs whole steps of its level's batch until the images
        seen reach the next phase's first image, so a phase may see a few
        images more than it lists (less than one step's); a phase shorter
        than what the step before it overshot has no step.
        """
        result, step, seen = [], 0, 0
        for level, fading, start in self.phases():
            if result:
                previous_batch = self.batch_size(result[-1][0], batch)
                steps = max(-(-(start - seen) // previous_batch), 0)
                step, seen = step + steps, seen + steps * previous_batch
            result.append((level, fading, step, seen, start))
        return result

    def phase_at_step(self, step, batch=None):
        """`(level, fading, first step, images seen before it, first image)` of the phase `step` belongs to."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}.")
        if batch is None and self.batch_sizes is None:
            raise ValueError("Give the batch fit is given: this schedule has no batch_sizes per level.")
        return [phase for phase in self.phases_in_steps(batch) if phase[2] <= step][-1]

    @property
    def total_images(self):
        """Images until the last level is stable."""
        return self.phases()[-1][2]

    def get_config(self):
        return {"levels": self.levels, "fade_images": self.fade_images, "stable_images": self.stable_images,
                "batch_sizes": None if self.batch_sizes is None else list(self.batch_sizes)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"GrowthSchedule(levels={self.levels}, fade_images={self.fade_images}, "
                f"stable_images={self.stable_images}, batch_sizes={self.batch_sizes})")


def _level_batch_sizes(batch_sizes, levels):
    """`batch_sizes` as a tuple of one positive integer per level (a string such as "64,32" is split)."""
    parts = batch_sizes.split(",") if isinstance(batch_sizes, str) else batch_sizes
    try:
        sizes = tuple(int(part) for part in parts)
        exact = all(size == float(part) for size, part in zip(sizes, parts))
    except (TypeError, ValueError):
        sizes, exact = (), False
    if not exact or len(sizes) != levels or min(sizes) < 1:
        raise ValueError(f"batch_sizes needs one integer >= 1 per level ({levels} levels, 4x4 first), e.g. "
                         f"{', '.join(['64'] * (levels - 1) + ['32'])}; got {batch_sizes!r}.")
    return sizes
