/**
 * The plan's bundle medium: shared by default, seed on request, none where the bundle does not
 * travel on removable media; and the order the artifacts phase searches the media in.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planFromText } from '../builders/plan.js';

const lab = (artifacts: string) => readFileSync('profiles/lab.yaml', 'utf8').replace('\n  nodes:\n', `\n  artifacts:\n${artifacts}\n  nodes:\n`);
const labels = (text: string) => planFromText(text).artifacts.media.map((m) => `${m.label} ${m.mount} ${m.tar}`);

describe('plan: bundle medium', () => {
  it('is shared by default: the KSBUNDLE medium first, then the seed ISO', () => {
    const plan = planFromText(lab('    source: bundle'));
    expect(plan.artifacts.bundleMedium).toBe('shared');
    expect(plan.origins['artifacts.bundleMedium']).toEqual({ kind: 'default', from: 'spec.artifacts.bundleMedium' });
    expect(labels(lab('    source: bundle'))).toEqual([
      'KSBUNDLE /run/kubeseed/bundle kubeseed-bundle.tar',
      'cidata /run/kubeseed/seed kubeseed/kubeseed-bundle.tar',
    ]);
  });

  it('seed puts the seed ISO first', () => {
    const text = lab('    source: bundle\n    bundleMedium: seed');
    const plan = planFromText(text);
    expect(plan.artifacts.bundleMedium).toBe('seed');
    expect(plan.origins['artifacts.bundleMedium']).toEqual({ kind: 'explicit', from: 'spec.artifacts.bundleMedium' });
    expect(labels(text)).toEqual([
      'cidata /run/kubeseed/seed kubeseed/kubeseed-bundle.tar',
      'KSBUNDLE /run/kubeseed/bundle kubeseed-bundle.tar',
    ]);
  });

  it('with bundlePath compile writes no medium, and the node still tries the media after the path', () => {
    const text = lab('    source: bundle\n    bundlePath: /opt/kubeseed/kubeseed-bundle.tar');
    const plan = planFromText(text);
    expect(plan.artifacts.bundleMedium).toBeUndefined();
    expect(plan.origins['artifacts.bundleMedium']).toBeUndefined();
    expect(labels(text).map((l) => l.split(' ')[0])).toEqual(['KSBUNDLE', 'cidata']);
  });

  it('without a bundle there is neither medium nor search', () => {
    const plan = planFromText(lab('    source: online'));
    expect(plan.artifacts.bundleMedium).toBeUndefined();
    expect(plan.artifacts.media).toEqual([]);
  });
});
