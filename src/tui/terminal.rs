//! Terminal control shared by the event loop and the command runner: capturing and releasing
//! the mouse (a panic gives it back), and suspending on Ctrl-Z. Uses only crossterm and
//! ratatui, nothing of the explorer's state.

use color_eyre::eyre::{Result, WrapErr};

/// Asks the terminal for clicks and wheel turns, and makes a panic give them back (ratatui's
/// own hook restores the rest of the terminal).
pub(super) fn capture_mouse() -> Result<()> {
    crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)
        .wrap_err("enabling the mouse")?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        release_mouse(true);
        previous(info);
    }));
    Ok(())
}

/// Gives the mouse back to the terminal.
pub(super) fn release_mouse(captured: bool) {
    if captured {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
}

/// Ctrl-Z: give the terminal back, stop, and take it again on `fg`.
pub(super) fn suspend(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    ratatui::restore();
    // SAFETY: raise only sends a signal to this process; SIGTSTP stops it until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    // A fresh terminal has no previous frame, so the next draw repaints everything.
    // (`Terminal::clear` would ask the terminal for the cursor position, and the input
    // thread would swallow the answer.)
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    Ok(())
}
