/** Light/dark theme, remembered per browser; defaults to the system preference. */
class Theme {
  mode = $state<'light' | 'dark'>('light');

  init(): void {
    const saved = localStorage.getItem('sb:theme');
    this.mode =
      saved === 'dark' || saved === 'light' ? saved : window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    document.documentElement.dataset.theme = this.mode;
  }

  toggle(): void {
    this.mode = this.mode === 'dark' ? 'light' : 'dark';
    localStorage.setItem('sb:theme', this.mode);
    document.documentElement.dataset.theme = this.mode;
  }
}

/** The theme of this tab. */
export const theme = new Theme();
