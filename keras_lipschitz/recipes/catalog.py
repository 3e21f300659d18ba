"""The recipes: each system's settings from its paper, and per-data settings measured here.

One entry per system, as StudioGAN keeps one config per system. Per-data
settings say why they differ from the paper (measured by
`benchmarks/bench_quality.py`, whose numbers are in docs/benchmarks.md).
"""

from keras_lipschitz.recipes.recipe import Recipe

# What every recipe starts from on images: the command's small DCGAN on 8-32 px data.
_IMAGES = dict(
    architecture="dcgan",
    conditional=False,
    conditioning="projection",
    classifier_loss="none",
    spectral_normalization=False,
    critic_normalization="batch",
    packing=1,
    minibatch_kernels=0,
    virtual_batch_reference=0,
    autoencoder_code_dim=0,
    energy_margin=1.0,
    pulling_away_weight=0.0,
    num_generators=1,
    geometric_weight=0.0,
    mode_weight=0.0,
    generator_spectral_normalization=False,
    attention_divisor=0,
    orthogonal_regularization=0.0,
    weight_clipping=0.0,
    label_smoothing=0.0,
    truncation=0.0,
    penalty="none",
    penalty_weight=10.0,
    drift_weight=0.0,
    fade_images=0,
    stable_images=0,
    level_batch_sizes="",
    adam_epsilon=1e-7,  # Keras' default
    unrolled_steps=0,
    unrolled_optimizer="adam",
    d_steps=1,
    learning_rate_schedule="constant",
    ema_decay=0.999,
    # A shorter run samples its raw generator: a 0.999 average over fewer steps still holds most of the
    # initial weights (digits, conditional, 300 steps: FID 412 against 200 raw).
    ema_start=1000,
    latent_dim=64,
    shared_embedding_dim=128,
    units=128,
    critic_depth=3,
    # SNGAN's ResNet widths at 32 px (Table 4).
    g_filters=256,
    d_filters=128,
    batch_size=64,
    steps=2000,
    steps_per_execution=1,
    threads=0,
    diffaugment="",
)
# The 2-D mixtures (VEEGAN / PacGAN protocol): 256-unit MLPs, a 2-D latent (fewer samples fall between
# modes than with 8-D: SNGAN grid25 seed 0 at 8,000 steps, 91.0% high quality against 85.6%), batch 256,
# a cosine decay, one TF thread and 25 steps per call (tiny models: 30% less CPU time for the same steps).
_MIXTURES = dict(
    architecture="mlp",
    latent_dim=2,
    units=256,
    batch_size=256,
    learning_rate_schedule="cosine",
    ema_start=0,
    steps_per_execution=25,
    threads=1,
)
# The non-saturating GAN, on images and on the mixtures (the base of the mode-collapse remedies' recipes).
_GAN = dict(_IMAGES, loss="non_saturating", optimizer="adam", beta_1=0.5, beta_2=0.999, d_learning_rate=2e-4,
            g_learning_rate=2e-4)
_GAN_POINTS = dict(_MIXTURES, d_learning_rate=1e-3, g_learning_rate=1e-3, steps=12000)
# The 8x8 digits: ResNets of 64 channels (at SNGAN's 256/128 a 2,000-step run takes about 16x the CPU time).
_DIGITS_RESNET = dict(g_filters=64, d_filters=64)
_DIGITS_RESNET_REASON = "8x8 digits: 64-channel ResNets keep a 2,000-step run to CPU minutes"
# Points have no feature maps to attend over, and the mixtures no labels.
_IMAGES_ONLY = ("images",)
_MIXTURES_REASON = ("2-D mixtures: 25/25 grid25 modes at 95.5% high quality over 5 seeds; ring8: 8/8, "
                    "98.5% mean over 5 seeds (4 at >= 98%, seed 0 97.9%), docs/benchmarks.md")

# 28x28 grayscale sets: the authors' MNIST critic (gan_mnist.py: three stride-2 convolutions of 64, 128, 256 filters,
# no normalization), which is the radford critic without batch normalization.
_WGAN_GP_MNIST = dict(architecture="radford", critic_normalization="none")
_WGAN_GP_MNIST_REASON = ("the authors' MNIST critic (three stride-2 convolutions, no normalization): 1.25 CPU s a "
                         "generator step on this CPU against 5.8 through the SNGAN CNN, so a 3,000-step run fits "
                         "about an hour")

RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="sngan",
            title="SNGAN",
            paper="Miyato et al., ICLR 2018, sec. 4 and Table 1 (setting C), hinge loss",
            constraint="spectral normalization of every critic layer",
            base=dict(_IMAGES, spectral_normalization=True, loss="hinge", optimizer="adam", beta_1=0.0,
                      beta_2=0.9, d_learning_rate=2e-4, g_learning_rate=2e-4),
            by_data={
                "points": dict(_MIXTURES, d_learning_rate=1e-3, g_learning_rate=1e-3, steps=12000),
                # Ring8's modes (sigma 0.01) leave 0.9% of slack under 98%. At 1e-3: 97.0% over 5 seeds; at
                # 5e-4 with 3 hidden layers one seed of 5 collapsed (an SN layer passes its top singular
                # direction at gain 1, so a deeper SN critic starts almost blind); 2 layers unfolded it. Over
                # 16,000 steps seed 1 stopped at 83.9%; 24,000 left seed 2 at 92.0% (mean 96.9%).
                "ring8": dict(d_learning_rate=5e-4, g_learning_rate=5e-4, steps=20000, critic_depth=2),
            },
            reasons={"points": _MIXTURES_REASON,
                     "ring8": "a 3-layer SN critic at 5e-4 collapsed 1 seed of 5; with 2 and 20,000 steps: 8/8 modes "
                              "in 5 seeds, 98.5% mean (16,000 steps: 95.4%, seed 1 at 83.9%)"},
        ),
        Recipe(
            name="wgan_gp",
            title="WGAN-GP",
            paper="Gulrajani et al., NeurIPS 2017, Algorithm 1",
            constraint="gradient penalty, lambda 10, on random interpolates",
            base=dict(_IMAGES, loss="wasserstein", penalty="gradient_penalty", d_steps=5, optimizer="adam",
                      beta_1=0.0, beta_2=0.9, d_learning_rate=1e-4, g_learning_rate=1e-4),
            # 1e-3 captured 0 modes; a generator step costs 5 critic steps, so 3,000 of them fit in 5 CPU
            # minutes; a 0.999 EMA after 3,000 steps kept 5% of the initial weights and pulled samples in.
            by_data={"points": dict(_MIXTURES, steps=3000, ema_decay=0.0),
                     "fashion_mnist": _WGAN_GP_MNIST, "mnist": _WGAN_GP_MNIST},
            reasons={"points": "the paper's 1e-4 (1e-3 captured no mode), 3,000 steps in 5 CPU minutes, "
                               "no EMA; far from the mixture targets, as the independent reference",
                     "fashion_mnist": _WGAN_GP_MNIST_REASON, "mnist": _WGAN_GP_MNIST_REASON},
        ),
        Recipe(
            name="wgan",
            title="WGAN",
            paper="Arjovsky et al., ICML 2017, Algorithm 1",
            constraint="weight clipping to [-0.01, 0.01]",
            base=dict(_IMAGES, loss="wasserstein", weight_clipping=0.01, d_steps=5, optimizer="rmsprop",
                      beta_1=0.9, beta_2=0.999, d_learning_rate=5e-5, g_learning_rate=5e-5),
            # Digits, seed 0: 2e-4 over 2,000 steps, class KL 0.056 (FID 14.6); the paper's 5e-5, 0.075 +- 0.008 over
            # 3 seeds (FID 26.3): clipping at 0.01 learns slowly on small data.
            by_data={"points": dict(architecture="mlp", latent_dim=2),
                     "digits": dict(d_learning_rate=1e-4, g_learning_rate=1e-4, steps=3000)},
            reasons={"points": "2-D data: MLPs with a 2-D latent (not tuned)",
                     "digits": "RMSprop 1e-4 over 3,000 steps: class KL 0.037 +- 0.003 and FID 11.9 over 3 seeds (the "
                               "paper's 5e-5 over 2,000: 0.075 +- 0.008, FID 26.3), docs/benchmarks.md"},
        ),
        Recipe(
            name="dcgan",
            title="DCGAN",
            paper="Radford, Metz, Chintala, ICLR 2016, sec. 3-4 (architecture guidelines, Adam 2e-4 / 0.5)",
            constraint="none (batch normalization in G and D, except D's input layer and G's output)",
            base=dict(_IMAGES, architecture="radford", loss="non_saturating", optimizer="adam", beta_1=0.5,
                      beta_2=0.999, d_learning_rate=2e-4, g_learning_rate=2e-4),
            # Digits, seeds 0-2, TensorFlow's default threads: 2,000 steps left class KL 0.049 +- 0.010 (seed 2: 0.065),
            # FID 16.8; 3,000 steps 0.040 +- 0.008, FID 11.6.
            by_data={"points": dict(_MIXTURES, d_learning_rate=1e-3, g_learning_rate=1e-3, steps=12000),
                     "digits": dict(steps=3000)},
            reasons={"points": "2-D data has no convolutions: the GAN recipe's mixture MLPs",
                     "digits": "3,000 steps: class KL 0.033 +- 0.004 and FID 11.3 over 3 seeds (2,000: 0.052 +- "
                               "0.004, FID 15.8), docs/benchmarks.md"},
        ),
        Recipe(
            name="gan",
            title="GAN (non-saturating)",
            paper="Goodfellow et al., NeurIPS 2014, sec. 3; Adam settings of Radford et al., ICLR 2016",
            constraint="none",
            base=_GAN,
            # Digits, seed 0: batch 64 left class KL 0.058; TTUR (D 4e-4, G 1e-4) 0.290; EMA 0.9995 the same as
            # 0.999 (the EMA's warm-up rule caps the decay at 0.991 over 1,000 steps). Batch 128, seeds 0-2: 0.041
            # +- 0.001 with TensorFlow's default threads, 0.047 +- 0.007 with the benchmark's one (seed 2: 0.061).
            by_data={"points": _GAN_POINTS, "digits": dict(batch_size=128)},
            reasons={"points": "the SNGAN mixture settings: 19.8 grid25 modes, 8.0 ring8 modes at 96.8% over 5 seeds "
                               "(targets not met)",
                     "digits": "batch 128: class KL 0.047 +- 0.007 and FID 12.8 over 3 seeds (batch 64: 0.060 +- "
                               "0.007, FID 15.3), docs/benchmarks.md"},
        ),
        # The mode-collapse remedies, each the GAN recipe with one change, so a benchmark row against the GAN's
        # measures the remedy alone.
        Recipe(
            name="unrolled_gan",
            title="Unrolled GAN",
            paper="Metz, Poole, Pfau, Sohl-Dickstein, ICLR 2017, eq. 3-6 (K = 5 unrolled critic updates with the "
                  "critic's Adam, as the authors' code)",
            constraint="none",
            base=dict(_GAN, unrolled_steps=5),
            # A step through a 3-layer critic cost ~5x the GAN's (grid25 seed 0, 4,000 steps: 14 modes, 71% high
            # quality, 323 CPU s); through the authors' 1-layer critic 12,000 steps took 121 s (19 modes, 27.5%) and
            # 24,000 steps 216 s (21 modes, 44.8%).
            by_data={"points": dict(_GAN_POINTS, unrolled_steps=5, critic_depth=1, steps=24000)},
            reasons={"points": "the GAN recipe's mixture settings with the authors' 1-hidden-layer critic (a 3-layer "
                               "one cost 5x per step) and 24,000 steps within 5 CPU minutes"},
        ),
        Recipe(
            name="minibatch_discrimination",
            title="GAN with minibatch discrimination",
            paper="Salimans et al., NeurIPS 2016, sec. 3.2 (B = 100 kernels of C = 5 in the authors' code)",
            constraint="none (the critic's features gain each sample's closeness to the rest of its batch)",
            base=dict(_GAN, minibatch_kernels=100),
            # Its pairwise distances cost O(batch^2 B C) per step: B = 16 ran past 12 CPU minutes; B = 4 took 389 CPU s
            # for 12,000 steps (grid25 seed 0: 22 modes, 76.3% high quality).
            by_data={"points": dict(_GAN_POINTS, minibatch_kernels=4, steps=9000)},
            reasons={"points": "the GAN recipe's mixture settings; B = 4 kernels and 9,000 steps fit 5 CPU minutes "
                               "(the distances of a batch of 256 cost O(256^2 B C))"},
        ),
        Recipe(
            name="virtual_batch_normalization",
            title="GAN with virtual batch normalization",
            paper="Salimans et al., NeurIPS 2016, sec. 3.4 (a reference batch fixed at the start, combined with each "
                  "example; in G)",
            constraint="none",
            base=dict(_GAN, virtual_batch_reference=64),
            by_data={"points": dict(_GAN_POINTS, virtual_batch_reference=256)},
            reasons={"points": "the GAN recipe's mixture settings; a reference batch of one critic batch (256)"},
        ),
        Recipe(
            name="ebgan",
            title="EBGAN-PT",
            paper="Zhao, Mathieu, LeCun, ICLR 2017, eq. 1-2 and 7 (autoencoder critic, margin loss, pulling-away term "
                  "lambda_PT 0.1)",
            constraint="none (the critic's output is an energy: the reconstruction error, low on real data)",
            # The margin is set for energies that are mean squared errors: images in [-1, 1] (per-pixel errors <= 4)
            # and the mixtures' points.
            base=dict(_GAN, loss="energy_margin", energy_margin=1.0, pulling_away_weight=0.1, autoencoder_code_dim=64),
            by_data={"points": dict(_GAN_POINTS, autoencoder_code_dim=16)},
            reasons={"points": "the GAN recipe's mixture settings; codes of 16 for 2-D points (not tuned)"},
        ),
        Recipe(
            name="madgan",
            title="MAD-GAN",
            paper="Ghosh, Kulharia, Namboodiri, Torr, Dokania, CVPR 2018, eq. 1-2 (k generators sharing all but their "
                  "first layer; a critic with k + 1 classes)",
            constraint="none (the critic also tells which generator made a sample)",
            base=dict(_GAN, loss="multi_generator", num_generators=4),
            by_data={"points": dict(_GAN_POINTS)},
            reasons={"points": "the GAN recipe's mixture settings, k = 4 (not tuned)"},
        ),
        Recipe(
            name="mrgan",
            title="MRGAN (regularized GAN)",
            paper="Che, Li, Jacob, Bengio, Li, ICLR 2017, sec. 3.1-3.2 (an encoder E; geometric d(x, G(E(x))) and mode "
                  "log D(G(E(x))) regularizers in G's and E's loss)",
            constraint="none",
            # Weights chosen here (not tuned), for mean squared distances.
            base=dict(_GAN, geometric_weight=0.2, mode_weight=0.4),
            by_data={"points": dict(_GAN_POINTS, steps=8000)},
            reasons={"points": "the GAN recipe's mixture settings with an MLP encoder; 8,000 steps (a step also encodes, "
                               "generates and scores the real batch)"},
        ),
        Recipe(
            name="pacgan",
            title="PacGAN",
            paper="Lin, Khetan, Fanti, Oh, NeurIPS 2018, sec. 3 and Table 1 (PacGAN4 on the grid, PacGAN2 on the "
                  "ring)",
            constraint="none (the critic scores packs of m samples)",
            base=dict(_GAN, packing=4),
            # 12,000 steps (85 CPU s, grid25 seed 0): 20 modes but 3.3% high quality (2.9% without EMA, 3.6% at
            # 2e-4): a packed critic sharpens the samples slowly.
            by_data={"points": dict(_GAN_POINTS, packing=4, steps=36000), "ring8": dict(packing=2)},
            reasons={"points": "the GAN recipe's mixture settings with packs of 4 (PacGAN4 of Table 1) and 36,000 steps "
                               "in 5 CPU minutes (12,000: 3.3% high quality on grid25)",
                     "ring8": "PacGAN2, the ring's published row"},
        ),
        Recipe(
            name="cgan",
            title="Conditional GAN",
            paper="Mirza & Osindero, arXiv 1411.1784, 2014, sec. 3-4; DCGAN's networks and Adam (Radford et al. 2016)",
            constraint="none (the label embedding is concatenated to G's latents and, as one more channel, to D's "
                       "input)",
            base=dict(_IMAGES, architecture="radford", conditional=True, conditioning="concat",
                      loss="non_saturating", optimizer="adam", beta_1=0.5, beta_2=0.999, d_learning_rate=2e-4,
                      g_learning_rate=2e-4),
            kinds=_IMAGES_ONLY,
        ),
        Recipe(
            name="acgan",
            title="AC-GAN",
            paper="Odena, Olah, Shlens, ICML 2017, eq. 2-3 (D maximizes L_S + L_C, G maximizes L_C - L_S)",
            constraint="none (D has a second head of class logits; G takes the label embedding with z)",
            # -L_S for G in its non-saturating form (Goodfellow et al. 2014, sec. 3); --loss=minimax is eq. 3 as
            # written.
            base=dict(_IMAGES, architecture="radford", conditional=True, conditioning="auxiliary",
                      classifier_loss="acgan", loss="non_saturating", optimizer="adam", beta_1=0.5, beta_2=0.999,
                      d_learning_rate=2e-4, g_learning_rate=2e-4),
            kinds=_IMAGES_ONLY,
        ),
        Recipe(
            name="acgan_mod",
            title="ACGAN-Mod (StudioGAN)",
            paper="Kang et al., StudioGAN (PAMI 2023): hinge loss, D's classifier on real samples only, "
                  "cond_lambda 1; Odena et al. 2017",
            constraint="spectral normalization of every critic layer; a classifier head trained on real samples",
            base=dict(_IMAGES, spectral_normalization=True, conditional=True, conditioning="auxiliary",
                      classifier_loss="acgan_mod", loss="hinge", optimizer="adam", beta_1=0.0, beta_2=0.9,
                      d_learning_rate=2e-4, g_learning_rate=2e-4),
            kinds=_IMAGES_ONLY,
        ),
        Recipe(
            name="projection",
            title="cGAN with projection discriminator",
            paper="Miyato & Koyama, ICLR 2018, eq. 3 and sec. 4 (conditional BN in G, hinge loss, SN critic)",
            constraint="spectral normalization of every critic layer, the class embedding included",
            base=dict(_IMAGES, spectral_normalization=True, conditional=True, loss="hinge", optimizer="adam",
                      beta_1=0.0, beta_2=0.9, d_learning_rate=2e-4, g_learning_rate=2e-4),
            kinds=_IMAGES_ONLY,
        ),
        Recipe(
            name="sagan",
            title="SAGAN",
            paper="Zhang, Goodfellow, Metaxas, Odena, ICML 2019, sec. 4-5 (self-attention, SN in G and D, hinge, "
                  "TTUR D 4e-4 / G 1e-4, Adam 0 / 0.9)",
            constraint="spectral normalization of every layer of G and D, the attention blocks' included",
            # Attention at image_size / 2: 16x16 at 32 px and 32x32 at 64 px, where StudioGAN's 32 px SAGAN and
            # BigGAN-PyTorch's configs put it (the paper's 128 px model attends at 32x32 and 64x64).
            base=dict(_IMAGES, architecture="resnet", spectral_normalization=True,
                      generator_spectral_normalization=True, attention_divisor=2, loss="hinge", optimizer="adam",
                      beta_1=0.0, beta_2=0.9, d_learning_rate=4e-4, g_learning_rate=1e-4),
            by_data={"digits": dict(_DIGITS_RESNET, g_learning_rate=4e-4)},
            reasons={"digits": _DIGITS_RESNET_REASON + "; G at D's 4e-4: the TTUR's 1e-4 is for runs of 10^5+ "
                               "steps (2,000 steps, seed 0: class KL 0.096, FID 15.1 at 1e-4, and 0.100, 17.0 over "
                               "4,000 steps; 0.006, 3.62 at 4e-4)"},
            kinds=_IMAGES_ONLY,
        ),
        Recipe(
            name="biggan",
            title="BigGAN",
            paper="Brock, Donahue, Simonyan, ICLR 2019, sec. 3-4 and Appendix B-C (shared embedding, hierarchical "
                  "latent, orthogonal regularization 1e-4, 2 D steps, D 2e-4 / G 5e-5, Adam 0 / 0.999, EMA, "
                  "truncation)",
            constraint="spectral normalization of every layer of G and D; orthogonal regularization of G",
            base=dict(_IMAGES, architecture="biggan", conditional=True, spectral_normalization=True,
                      generator_spectral_normalization=True, attention_divisor=2, orthogonal_regularization=1e-4,
                      loss="hinge", d_steps=2, optimizer="adam", beta_1=0.0, beta_2=0.999, d_learning_rate=2e-4,
                      g_learning_rate=5e-5, ema_decay=0.9999, ema_start=20000, g_filters=256, d_filters=256),
            # Truncation trades variety for fidelity at sampling time (--truncation=1): off by default, since on
            # digits (seed 0) t = 1 took recall from 0.78 to 0.35 and FID from 2.40 to 10.1 (precision 0.90 -> 0.98).
            by_data={"images": dict(ema_decay=0.999, ema_start=1000),
                     "digits": dict(_DIGITS_RESNET, g_learning_rate=2e-4)},
            reasons={"images": "runs of thousands of steps, not BigGAN's 100k+: the EMA of the other image recipes",
                     "digits": _DIGITS_RESNET_REASON + "; G at D's 2e-4 (2,000 steps, seed 0: at 5e-5 label "
                               "accuracy 0.54 and FID 63.7; at 2e-4 0.991 and 2.40)"},
            kinds=_IMAGES_ONLY,
        ),
        Recipe(
            name="pggan",
            title="PGGAN (progressive growing)",
            paper="Karras, Aila, Laine, Lehtinen, ICLR 2018, sec. 3-4 and Appendix A.1 (WGAN-GP lambda 10 + drift "
                  "0.001, 1 critic step, Adam 1e-3 / 0 / 0.99 / 1e-8, EMA 0.999, equalized learning rate, pixel "
                  "norm, minibatch stddev, fade-in)",
            constraint="gradient penalty, lambda 10, on random interpolates at full resolution (as the authors' "
                       "code), and the drift penalty",
            # The paper shows 600k images per phase; 32k (500 steps of 64) grow 32 px networks in 3,000 steps
            # and 8 px ones in 1,000, within this CPU's minutes. The paper's widths (512 up to 32 px) are too
            # costly here: 64 channels per level.
            base=dict(_IMAGES, architecture="progressive", loss="wasserstein", penalty="gradient_penalty",
                      drift_weight=0.001, fade_images=32000, stable_images=32000, optimizer="adam", beta_1=0.0,
                      beta_2=0.99, adam_epsilon=1e-8, d_learning_rate=1e-3, g_learning_rate=1e-3, latent_dim=128,
                      g_filters=64, d_filters=64, steps=4000),
            by_data={"digits": dict(steps=2000)},
            reasons={"digits": "8x8: grown by step 1,000; 2,000 steps as the other recipes on digits"},
            kinds=_IMAGES_ONLY,
        ),
    )
}
